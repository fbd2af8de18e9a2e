"""Tell a passing fault of the lab PC (disk full, storage read-only or gone, database busy or
unreachable) from a bug, so the fronts can say "try again in a few minutes" instead of
"something went wrong". Every state change is one unit (core.jobs.unit, core.jobs.submit), so by the
time such an error reaches a front, nothing was half done.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from core.domain.errors import StorageError
from storage.filestore import LockTimeout

FULL = "full"
READ_ONLY = "read-only"
BUSY = "busy"
UNREACHABLE = "unreachable"

_OS_REASONS = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: READ_ONLY,
    errno.EPERM: READ_ONLY,
    errno.ENOENT: UNREACHABLE,  # the storage folder itself went away (a share unmounted)
    errno.EIO: UNREACHABLE,
    errno.ENOTCONN: UNREACHABLE,
    errno.ESTALE: UNREACHABLE,
    errno.EHOSTDOWN: UNREACHABLE,
    errno.ETIMEDOUT: UNREACHABLE,
}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def unavailable(exc: BaseException) -> str | None:
    """FULL, READ_ONLY, BUSY or UNREACHABLE when `exc` (or what caused it) is such a fault;
    None when it looks like a bug."""
    for error in _chain(exc):
        if isinstance(error, LockTimeout):
            return BUSY
        if isinstance(error, OperationalError | InterfaceError) or (
                isinstance(error, DBAPIError) and error.connection_invalidated):
            text = str(error.orig if isinstance(error, DBAPIError) else error).lower()
            if "locked" in text or "busy" in text:
                return BUSY
            if "readonly" in text or "read-only" in text:
                return READ_ONLY
            if "disk is full" in text or "no space" in text:
                return FULL
            return UNREACHABLE
        if isinstance(error, OSError) and error.errno in _OS_REASONS:
            return _OS_REASONS[error.errno]
        if isinstance(error, StorageError) and "not reachable" in str(error):
            return UNREACHABLE
    return None
