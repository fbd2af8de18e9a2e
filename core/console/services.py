"""What the staff console needs besides the workflow: its per-PC settings, slicers, thumbnails.

The console (desktop/) calls these from worker threads and only adapts the results to Qt.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from core.console.settings import ConsoleSettings, load_settings, save_settings
from core.console.slicer_detect import detect_slicers
from core.console.slicers import (
    Slicer,
    choose_slicer,
    job_file,
    launch_problem,
    open_job_in_slicer,
    show_job_in_folder,
)
from core.desk import Desk
from core.domain.values import Job
from core.ops import activity

log = logging.getLogger(__name__)

# How long a program has to fail on its own before it counts as started: a slicer refusing the
# file or an xdg-open with no file manager exits well within this.
EARLY_EXIT_S = 1.5


@dataclass(frozen=True)
class Launched:
    program: str  # the name shown in the status bar
    pid: int


class ConsoleServices:
    def __init__(self, desk: Desk, detected: list[Slicer] | None = None) -> None:
        self.desk = desk
        self.settings = load_settings(desk.config.data_dir)
        self._detected = detected
        self._lock = threading.Lock()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.zone(self.desk.config))

    @property
    def idle_minutes(self) -> int:
        return self.settings.idle_minutes(self.desk.config)

    def save(self, settings: ConsoleSettings) -> ConsoleSettings:
        self.settings = save_settings(self.desk.config.data_dir, settings)
        return self.settings

    def detected(self) -> list[Slicer]:
        """Slicers found on this PC; looked for once (it walks Program Files and such)."""
        with self._lock:
            if self._detected is None:
                self._detected = detect_slicers()
            return list(self._detected)

    def open_in_slicer(self, job: Job) -> Launched:
        """Start the slicer on the job's file; its name for the status bar and its process."""
        detected = self.detected()
        pid = open_job_in_slicer(self.desk, job, self.settings.slicers, detected)
        # Same choice as the launch made (configured program first, then detected ones).
        argv = choose_slicer(job_file(self.desk, job), self.settings.slicers, detected)
        name = next((s.name for s in detected if s.executable == argv), Path(argv[-1]).name)
        activity.launched("slicer", " ".join(argv), pid, job)
        return Launched(name, pid)

    def show_in_folder(self, job: Job) -> Launched:
        pid = show_job_in_folder(self.desk, job)
        activity.launched("file manager", "the file manager", pid, job)
        return Launched("the file manager", pid)

    def launch_problem(self, launched: Launched) -> str | None:
        """Asked EARLY_EXIT_S after a launch: what went wrong if the program gave up at once."""
        return launch_problem(launched.pid)

    def thumbnail(self, job: Job) -> bytes | None:
        """The thumbnail the worker drew, if it has; the console never draws one itself."""
        return self.desk.queries.thumbnail(job.id)
