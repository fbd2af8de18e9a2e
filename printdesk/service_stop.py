"""A service manager's stop request, which may come before, while or after the thing it stops
(the intake's server, the worker) is made: it arrives on the manager's own thread. Kept apart
from printdesk/winservice.py, which needs pywin32, so that it runs and is tested everywhere."""

from __future__ import annotations

import threading
from collections.abc import Callable


class StopRequest:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop: Callable[[], None] | None = None
        self.requested = False

    def request(self) -> None:
        """Stop what runs now, or what is attached later."""
        with self._lock:
            self.requested = True
            stop = self._stop
        if stop is not None:
            stop()

    def attach(self, stop: Callable[[], None]) -> None:
        """How to stop what is about to run; called at once when a stop came first (the server
        and the worker both end as soon as they start, then)."""
        with self._lock:
            self._stop = stop
            if not self.requested:
                return
        stop()
