"""How much memory model checks may take together: they run at once only while their estimates
fit the lab's budget ([limits] analysis_memory_mb), so 20 uploads arriving together queue
instead of exhausting a lab PC, while small models never wait long behind one big one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MiB = 1024 * 1024
# Peak memory of a model check per byte of file, by format (measured in a fresh process on the
# tori of tests/realsize.py: binary STL 2.8, ASCII STL 7.8, OBJ 9.4, 3MF 10), with some room.
MEMORY_PER_BYTE = {"binary-stl": 3, ".stl": 9, ".obj": 11, ".3mf": 12}


class MemoryBudget:
    """Holds of estimated bytes that together stay within a limit; a hold larger than the whole
    limit runs alone."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.used = 0
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, amount: int) -> Iterator[None]:
        amount = max(1, min(amount, self.limit))
        with self._cond:
            self._cond.wait_for(lambda: self.used + amount <= self.limit)
            self.used += amount
        try:
            yield
        finally:
            with self._cond:
                self.used -= amount
                self._cond.notify_all()


def analysis_memory(path: Path, extension: str, size: int) -> int:
    """What checking this file may cost in memory: a binary STL (84 + 50 bytes per triangle,
    read straight into arrays) costs far less per byte than text."""
    kind = extension
    if extension == ".stl" and size >= 84 and (size - 84) % 50 == 0:
        with path.open("rb") as handle:
            handle.seek(80)
            if 84 + 50 * int.from_bytes(handle.read(4), "little") == size:
                kind = "binary-stl"
    return size * MEMORY_PER_BYTE.get(kind, 12) + 16 * MiB


