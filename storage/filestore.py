"""The storage folder: one folder per status, one folder per job inside it (SPEC §6).

Every path is built here from checked parts and verified to stay under the root; nothing a
student typed ever becomes a path. A job changes status by one rename of its folder, done while
holding that job's cross-process lock file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

STAGING = ".incoming"
LOCKS = ".locks"
METADATA = "metadata.json"
_TMP_PREFIX = ".metadata-"
_FOLDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,159}$")
_FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,199}$")
_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")


class StoreError(Exception):
    """The file store refused an operation; the message says what and where."""


class PathEscape(StoreError):
    """A name would resolve outside the storage root (or is not a plain name at all)."""


class LockTimeout(StoreError):
    """Another process held a job's lock for longer than the store waits."""


# Off only inside a batch of new jobs (core.jobs.batch.new_jobs_batch): a batch that fails or is
# cut short leaves nothing worth keeping, and the fsyncs were its largest single cost.
_durable: ContextVar[bool] = ContextVar("printdesk_durable", default=True)


@contextmanager
def relaxed_durability() -> Iterator[None]:
    token = _durable.set(False)
    try:
        yield
    finally:
        _durable.reset(token)


def durable() -> bool:
    return _durable.get()


def fsync(fd: int) -> None:
    if _durable.get():
        os.fsync(fd)


def fsync_dir(path: Path) -> None:
    # Makes a rename durable on POSIX; Windows has no directory handles to sync.
    if os.name != "posix" or not _durable.get():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


HASH_CHUNK = 1 << 20  # never a whole 50 MB model in memory


def hash_file(path: Path, write: Callable[[bytes], object] | None = None,
              durable: bool = False) -> tuple[int, str]:
    """Size and SHA-256, reading in chunks (never the whole file in memory); each chunk also
    goes to `write` when given. `durable`: fsync the file too (before a job adopts it)."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if write is not None:
                write(chunk)
        if durable:
            fsync(handle.fileno())
    return size, digest.hexdigest()


def _read_umask() -> int:
    mask = os.umask(0o077)  # the only way to read it; at import, before any thread writes files
    os.umask(mask)
    return mask


# What open() gives a new file in this process. A lab PC's services and the staff's console share
# the data folder through a group with umask 0007 (packaging/linux): files written through
# mkstemp, whose mode is always 0600, would be unreadable to the other side.
NEW_FILE_MODE = 0o666 & ~_read_umask()


def new_temp_file(folder: Path, prefix: str, mode: int | None = None) -> tuple[int, str]:
    """mkstemp in `folder`, the file given `mode` (default: what open() would give it)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    if os.name == "posix":
        os.fchmod(fd, NEW_FILE_MODE if mode is None else mode)
    return fd, name


def atomic_write_bytes(target: Path, data: bytes, prefix: str = ".write-",
                       mode: int | None = None) -> None:
    """Temp file in the same folder, fsync, os.replace: readers see the old or the new file."""
    fd, tmp = new_temp_file(target.parent, prefix, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


class FileStore:
    def __init__(self, root: Path, folders: Sequence[str], lock_timeout: float = 60.0) -> None:
        self.root = Path(root).resolve()
        self.folders = tuple(folders)
        self.lock_timeout = lock_timeout

    # --- paths -------------------------------------------------------------------------------

    def inside(self, path: Path) -> Path:
        """Resolve `path` (following links) and refuse it unless it stays under the root."""
        resolved = Path(os.path.realpath(path))
        if resolved != self.root and not resolved.is_relative_to(self.root):
            raise PathEscape(f"{path} is outside the storage folder {self.root}")
        return resolved

    def status_dir(self, folder: str) -> Path:
        if folder not in self.folders:
            raise PathEscape(f"{folder!r} is not a status folder")
        return self.root / folder

    def job_dir(self, folder: str, name: str) -> Path:
        if not _FOLDER_RE.match(name):
            raise PathEscape(f"{name!r} is not a valid job folder name")
        return self.inside(self.status_dir(folder) / name)

    def file_in(self, job_dir: Path, filename: str) -> Path:
        if not _FILE_RE.match(filename) or ".." in filename:
            raise PathEscape(f"{filename!r} is not a plain file name")
        target = self.inside(job_dir / filename)
        if target.parent != self.inside(job_dir):
            raise PathEscape(f"{filename!r} leaves its job folder")
        return target

    def staging_dir(self, job_id: str) -> Path:
        return self.inside(self.root / STAGING / _checked_id(job_id))

    # --- layout and locks --------------------------------------------------------------------

    def ensure_layout(self) -> None:
        for name in (*self.folders, STAGING, LOCKS):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def writable(self) -> bool:
        """Can a file be created in the scratch folder right now (share mounted, disk writable)?"""
        try:
            fd, name = tempfile.mkstemp(prefix=".probe-", dir=self.root / STAGING)
            os.close(fd)
            os.unlink(name)
        except OSError:
            return False
        return True

    def missing_folders(self) -> list[str]:
        return [n for n in (*self.folders, STAGING, LOCKS) if not (self.root / n).is_dir()]

    def _file_lock(self, job_id: str, timeout: float) -> FileLock:
        # 0660: on a lab PC the services' account and the staff's desktop account share the
        # folder through a group (packaging/linux); the folder itself decides who gets in.
        return FileLock(str(self.root / LOCKS / f"{_checked_id(job_id)}.lock"), timeout=timeout,
                        mode=0o660)

    @contextmanager
    def lock(self, job_id: str, timeout: float | None = None) -> Iterator[None]:
        """Hold the job's cross-process lock; LockTimeout if another process keeps it too long."""
        lock = self._file_lock(job_id, self.lock_timeout if timeout is None else timeout)
        try:
            lock.acquire()
        except Timeout:
            raise LockTimeout(f"Job {job_id} is being changed by another program right now; "
                              "try again in a moment.") from None
        try:
            yield
        finally:
            lock.release()

    def try_lock(self, job_id: str) -> FileLock | None:
        """The job's lock if nobody holds it now, else None (someone is working on it)."""
        lock = self._file_lock(job_id, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            return None
        return lock

    # --- folders ----------------------------------------------------------------------------

    def locate(self, name: str) -> list[str]:
        """Status folders that hold a job folder of this name (normally exactly one)."""
        return [f for f in self.folders if self.job_dir(f, name).is_dir()]

    def move(self, name: str, source: str, target: str) -> Path:
        """Move a job folder between status folders with one rename. Caller holds the lock."""
        src, dst = self.job_dir(source, name), self.job_dir(target, name)
        if not src.is_dir():
            raise StoreError(f"job folder {name} is not in {source}/")
        if dst.exists():
            raise StoreError(f"{target}/{name} already exists; refusing to overwrite it")
        os.rename(src, dst)
        fsync_dir(dst.parent)
        fsync_dir(src.parent)
        return dst

    def adopt_staging(self, job_id: str, target: str, name: str) -> Path:
        """Rename a fully written staging folder into its status folder."""
        src, dst = self.staging_dir(job_id), self.job_dir(target, name)
        if dst.exists():
            raise StoreError(f"{target}/{name} already exists; refusing to overwrite it")
        os.rename(src, dst)
        fsync_dir(dst.parent)
        return dst

    def return_to_staging(self, job_id: str, target: str, name: str) -> None:
        """Undo adopt_staging (its commit failed): the folder goes back to the scratch area."""
        src, dst = self.job_dir(target, name), self.staging_dir(job_id)
        if src.is_dir() and not dst.exists():
            os.rename(src, dst)
            fsync_dir(src.parent)

    def remove_staging(self, job_id: str) -> None:
        shutil.rmtree(self.staging_dir(job_id), ignore_errors=True)

    def iter_job_folders(self) -> Iterator[tuple[str, str, Path]]:
        for folder in self.folders:
            base = self.root / folder
            if not base.is_dir():
                continue
            # scandir: the directory entry already says "folder", no stat per job (10,000 jobs).
            with os.scandir(base) as entries:
                names = sorted(e.name for e in entries
                               if e.is_dir(follow_symlinks=False) and _FOLDER_RE.match(e.name))
            for name in names:
                yield folder, name, base / name

    def iter_staging(self) -> Iterator[tuple[str, Path]]:
        base = self.root / STAGING
        if base.is_dir():
            for entry in sorted(base.iterdir()):
                if entry.is_dir() and _ID_RE.match(entry.name):
                    yield entry.name, entry

    # --- metadata.json ----------------------------------------------------------------------

    def write_metadata(self, job_dir: Path, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        atomic_write_bytes(self.file_in(job_dir, METADATA), text.encode("utf-8"), _TMP_PREFIX)

    def read_metadata(self, job_dir: Path) -> dict[str, Any]:
        path = self.file_in(job_dir, METADATA)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"{job_dir.name} has no {METADATA}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"{job_dir.name}/{METADATA} is unreadable: {exc}") from None
        except OSError as exc:  # another account's file this one may not read, a failing disk
            raise StoreError(f"{job_dir.name}/{METADATA} cannot be read ({exc.strerror or exc})"
                             ) from None
        if not isinstance(data, dict):
            raise StoreError(f"{job_dir.name}/{METADATA} does not hold an object")
        return data

    def leftover_temp_files(self, job_dir: Path) -> list[Path]:
        return sorted(job_dir.glob(f"{_TMP_PREFIX}*.tmp"))


def _checked_id(job_id: str) -> str:
    if not _ID_RE.match(job_id):
        raise PathEscape(f"{job_id!r} is not a job id")
    return job_id
