"""Spool files for uploads: the web server streams a student's file straight into one of these,
on the storage volume (so submitting is a rename, not a second copy), never into memory."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from storage.filestore import STAGING

if TYPE_CHECKING:
    from core.desk import Desk

PREFIX, SUFFIX = "upload-", ".part"
STALE_AFTER_S = 6 * 3600


def spool_dir(desk: Desk) -> Path:
    return desk.store.root / STAGING


def new_spool_file(desk: Desk) -> IO[bytes]:
    """An open, empty temporary file; pass its path to submit() as an owned Upload."""
    return tempfile.NamedTemporaryFile(
        "w+b", prefix=PREFIX, suffix=SUFFIX, dir=spool_dir(desk), delete=False
    )


def discard(desk: Desk, path: Path) -> None:
    """Remove a spool file; refuses anything that is not one."""
    target = desk.store.inside(path)
    if target.parent != desk.store.inside(spool_dir(desk)) or not target.name.startswith(PREFIX):
        raise ValueError(f"{path} is not an upload spool file")
    target.unlink(missing_ok=True)


def stale_spool_files(desk: Desk, now: float | None = None) -> list[Path]:
    """Spool files a killed web server left behind (old enough that no request still owns them)."""
    cutoff = (now or time.time()) - STALE_AFTER_S
    stale = []
    for path in spool_dir(desk).glob(f"{PREFIX}*{SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                stale.append(path)
        except FileNotFoundError:  # the request that owned it just finished and removed it
            continue
    return stale
