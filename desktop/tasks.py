"""Run core calls off the UI thread (Anki's QueryOp/CollectionOp idea).

`runner.run(fn, success=..., failure=...)` calls `fn()` on a worker thread and then `success(result)`
or `failure(exception)` on the UI thread. Reads share a small pool; writes (`write=True`) go
through one serial worker so the console's own changes happen one at a time, in order.
"""

from __future__ import annotations

import itertools
import logging
import queue
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class TaskRunner(QObject):
    # Emitted (without arguments) from worker threads; delivered on the runner's UI thread by a
    # queued connection. Outcomes travel through a plain queue, so no Python object has to live
    # inside a Qt event that crosses threads (reference counting there is PySide's, not ours).
    _ready = Signal()
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, on_error: Failure | None = None) -> None:
        super().__init__(parent)
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Success | None, Failure | None]] = {}
        self._on_error = on_error
        self._closed = False
        self._outcomes: queue.SimpleQueue[tuple[int, bool, object]] = queue.SimpleQueue()
        self._ready.connect(self._drain)

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    def run(self, fn: Callable[[], Any], success: Success | None = None,
            failure: Failure | None = None, write: bool = False) -> None:
        if self._closed:  # the window is closing: nobody is left to show the outcome to
            return
        task_id = next(self._ids)
        self._callbacks[task_id] = (success, failure)
        if len(self._callbacks) == 1:
            self.busy_changed.emit(True)
        # A plain callable, not a QRunnable subclass: a Python-owned runnable that Qt also
        # auto-deletes is freed twice (seen as "shared QObject was deleted directly" at exit).
        (self._writes if write else self._reads).start(lambda: self._execute(task_id, fn))

    def _execute(self, task_id: int, fn: Callable[[], Any]) -> None:
        """Runs on a worker thread; hands the outcome to the UI thread through the signal."""
        try:
            result = fn()
        except BaseException as exc:
            self._outcomes.put((task_id, False, exc))
        else:
            self._outcomes.put((task_id, True, result))
        try:
            self._ready.emit()
        except RuntimeError:  # the runner was deleted while this ran: the outcome has no taker
            log.debug("task %s finished after its window closed", task_id)

    @Slot()
    def _drain(self) -> None:
        while True:
            try:
                outcome = self._outcomes.get_nowait()
            except queue.Empty:
                return
            self._finish(*outcome)

    def _finish(self, task_id: int, ok: bool, value: object) -> None:
        success, failure = self._callbacks.pop(task_id, (None, None))
        if not self._callbacks:
            self.busy_changed.emit(False)
        if ok:
            if success is not None:
                success(value)
            return
        assert isinstance(value, BaseException)
        if failure is not None:
            failure(value)
        elif self._on_error is not None:
            self._on_error(value)
        else:
            log.error("background task failed", exc_info=value)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        self._closed = True
        self._writes.waitForDone(timeout_ms)
        self._reads.waitForDone(timeout_ms)
