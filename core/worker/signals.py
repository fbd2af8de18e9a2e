"""A clean stop on a service manager's request: systemd and `kill` send SIGTERM, Windows'
console close sends SIGBREAK; each becomes a call to `stop` instead of an abrupt exit."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers (tests serve from threads)
        return
    names = [n for n in ("SIGTERM", "SIGBREAK", "SIGHUP") if hasattr(signal, n)]
    previous: dict[int, Any] = {}
    for name in names:
        number = getattr(signal, name)
        previous[number] = signal.signal(number, lambda _n, _f: stop())
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
