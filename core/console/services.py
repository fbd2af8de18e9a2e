"""What the staff console needs besides the workflow: its per-PC settings, slicers, thumbnails.

The console (desktop/) calls these from worker threads and only adapts the results to Qt.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from core.console.settings import ConsoleSettings, load_settings, save_settings
from core.console.slicer_detect import detect_slicers
from core.console.slicers import Slicer, choose_slicer, job_file, open_job_in_slicer, show_job_in_folder
from core.desk import Desk
from core.domain.values import Job

log = logging.getLogger(__name__)


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

    def open_in_slicer(self, job: Job) -> str:
        """Start the slicer on the job's file; the program's name for the status bar."""
        detected = self.detected()
        open_job_in_slicer(self.desk, job, self.settings.slicers, detected)
        # Same choice as the launch made (configured program first, then detected ones).
        argv = choose_slicer(job_file(self.desk, job), self.settings.slicers, detected)
        return next((s.name for s in detected if s.executable == argv), Path(argv[-1]).name)

    def show_in_folder(self, job: Job) -> None:
        show_job_in_folder(self.desk, job)

    def thumbnail(self, job: Job) -> bytes | None:
        """The thumbnail the worker drew, if it has; the console never draws one itself."""
        return self.desk.queries.thumbnail(job.id)
