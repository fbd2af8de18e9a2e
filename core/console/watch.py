"""Notice changes made by anyone (the intake, another console, another PC) and say so.

Two sources, both treated as hints that something may have changed: watchdog on the storage
folder (the polling observer on a network share, where inotify does not see other PCs' changes)
and a cheap database marker polled about once a second (the only source when the database is a
server and the files are elsewhere). One background thread coalesces them and calls `on_change`
from that thread; a GUI must hop to its own thread before touching widgets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from storage.filestore import LOCKS
from storage.netfs import is_network_path

if TYPE_CHECKING:
    from core.desk import Desk

log = logging.getLogger(__name__)
QUIET_NAMES = {"thumbnail.png"}
FOLLOW_UP_S, FOLLOW_UPS = 0.1, 10


class _Hint(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = str(event.src_path)
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        if (LOCKS in path or event.event_type in ("opened", "closed_no_write")
                or name in QUIET_NAMES or (name.startswith(".") and name.endswith(".tmp"))):
            return  # locks, reads, thumbnails and temp files change nothing anyone needs to see
        self.wake.set()


class ChangeWatcher:
    def __init__(self, desk: Desk, on_change: Callable[[], None], interval: float = 1.0,
                 polling: bool | None = None,
                 on_check: Callable[[bool], None] | None = None) -> None:
        self.desk = desk
        self.on_change = on_change
        self.on_check = on_check  # after every look at the database: could it be read?
        self.interval = interval
        self.polling = is_network_path(desk.store.root) if polling is None else polling
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Observer | PollingObserver | None = None
        self._marker: int | None = None

    def start(self) -> None:
        self._marker = self._read_marker()
        observer = PollingObserver(timeout=self.interval) if self.polling else Observer()
        # The status folders only, not every job folder inside them: a job arriving or moving
        # is a folder appearing in one of them. (Watching 10,000 job folders cost 10,000
        # inotify watches, and the hint was lost past the system's limit.)
        for folder in self.desk.store.folders:
            observer.schedule(_Hint(self._wake), str(self.desk.store.status_dir(folder)),
                              recursive=False)
        observer.daemon = True
        try:
            observer.start()
            self._observer = observer
        except OSError as exc:  # e.g. inotify watch limit: the database marker still works
            log.warning("cannot watch the storage folder (%s); polling the database only", exc)
        self._thread = threading.Thread(target=self._run, name="printdesk-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _read_marker(self) -> int | None:
        try:
            return self.desk.queries.change_marker()
        except Exception as exc:  # the database may be briefly unreachable; try again later
            log.warning("change check failed: %s", exc)
            return None

    def _run(self) -> None:
        soon = 0  # quick looks left after a hint
        while not self._stop.is_set():
            hinted = self._wake.wait(FOLLOW_UP_S if soon else self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            marker = self._read_marker()
            if self.on_check is not None:
                self.on_check(marker is not None)
            changed = marker is not None and marker != self._marker
            # A job's folder appears a moment before its transaction commits (core.jobs.unit),
            # so a hint often finds the database unchanged: look again soon, not an interval
            # later (at 50,000 jobs that wait was most of a new job's way to the screen).
            soon = FOLLOW_UPS if hinted and not changed else (0 if changed else max(0, soon - 1))
            if hinted or changed:
                self._marker = marker if marker is not None else self._marker
                try:
                    self.on_change()
                except Exception:
                    log.exception("change callback failed")
