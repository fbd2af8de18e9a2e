"""Spool files for uploads: the web server streams a student's file straight into one of these,
on the storage volume (so submitting is a rename, not a second copy), never into memory."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from storage.filestore import STAGING

if TYPE_CHECKING:
    from core.context import Context

PREFIX, SUFFIX = "upload-", ".part"
STALE_AFTER_S = 6 * 3600


def spool_dir(desk: Context) -> Path:
    return desk.store.root / STAGING


def new_spool_file(desk: Context) -> IO[bytes]:
    """An open, empty temporary file; pass its path to submit() as an owned Upload."""
    return tempfile.NamedTemporaryFile(
        "w+b", prefix=PREFIX, suffix=SUFFIX, dir=spool_dir(desk), delete=False
    )


class SpoolFile:
    """A spool file that hashes the bytes as they are written, so a 50 MB upload is never read
    back just to learn its SHA-256. Only what a form parser needs of a file is offered."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._digest: hashlib._Hash | None = hashlib.sha256()
        self.size = 0
        self.name = handle.name
        self.path = Path(handle.name)

    def write(self, data: bytes) -> int:
        if self._digest is not None and self._handle.tell() != self.size:
            self._digest = None  # written out of order: hash the file itself when asked
        written = self._handle.write(data)
        if self._digest is not None:
            self._digest.update(data)
            self.size += len(data)
        return written

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def flush(self) -> None:
        self._handle.flush()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        self._handle.close()

    def finish(self) -> tuple[int, str | None]:
        """Flush the bytes to disk (they must be durable before a job adopts the file) and
        return (size, SHA-256 or None when the writes were not in order)."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        if self._digest is None:
            return self.path.stat().st_size, None
        return self.size, self._digest.hexdigest()


def discard(desk: Context, path: Path) -> None:
    """Remove a spool file; refuses anything that is not one."""
    target = desk.store.inside(path)
    if target.parent != desk.store.inside(spool_dir(desk)) or not target.name.startswith(PREFIX):
        raise ValueError(f"{path} is not an upload spool file")
    target.unlink(missing_ok=True)


def stale_spool_files(desk: Context, now: float | None = None,
                      max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Spool files a killed web server left behind (old enough that no request still owns them)."""
    cutoff = (now or time.time()) - max_age_s
    stale = []
    for path in spool_dir(desk).glob(f"{PREFIX}*{SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                stale.append(path)
        except FileNotFoundError:  # the request that owned it just finished and removed it
            continue
    return stale
