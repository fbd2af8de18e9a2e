"""Backups while the desk keeps working, and restoring one (SPEC §9).

A backup snapshots the database first (SQLite's online backup API: a consistent copy while the
console, the intake and the worker write; `pg_dump` on a database server), then copies the
folder of every job in that snapshot from the status folder the snapshot names, each under the
job's lock so no move is half seen. A job that moved after the snapshot is copied from where it
is now and filed under the snapshot's status; its metadata.json may then be newer than the
snapshot, which start-up repair on a restored folder reconciles (the database is the truth).
The archive is written under a temporary name and renamed once its manifest is in.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import __version__
from core.ops.backup_archive import (
    CONFIG_MEMBER,
    PG_MEMBER,
    SQLITE_MEMBER,
    BackupError,
    Writer,
    archive_name,
    archive_time,
    archives_in,
    backup_folder,
    verify,
)
from storage.engine import sqlite_path
from storage.migrate import current_revision

if TYPE_CHECKING:
    from core.config import Config
    from core.context import Context

log = logging.getLogger("core.activity")
LAST_BACKUP = "last_backup"  # settings key: {"at", "path", "size", "ok", "error"}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    jobs: int
    files: int
    seconds: float


@dataclass(frozen=True)
class LastBackup:
    at: datetime
    path: str
    size: int
    ok: bool
    error: str = ""


def make_backup(ctx: Context, dest: Path | None = None) -> BackupResult:
    """One archive in `dest` (default: the configured backup folder); records the outcome."""
    folder = Path(dest) if dest is not None else backup_folder(ctx.config)
    started, at = time.monotonic(), datetime.now(UTC)
    try:
        result = _make(ctx, folder, at, started)
    except Exception as exc:
        _record(ctx, LastBackup(at, str(folder), 0, False, str(exc)))
        log.error("backup to %s failed: %s", folder, exc)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"the backup to {folder} failed: {exc}") from exc
    _record(ctx, LastBackup(at, str(result.path), result.size, True))
    log.info("backup %s: %d jobs, %d files, %.1f MB in %.1f s", result.path, result.jobs,
             result.files, result.size / 2**20, result.seconds)
    return result


def _group_bits(ctx: Context) -> int:
    """Archives hold students' names and emails: never readable by others, and by a group only
    when the data folder itself is shared with one (a lab PC's services and staff:
    packaging/linux), so that a backup the worker made can be rotated by the console's and back."""
    try:
        return ctx.config.data_dir.stat().st_mode & 0o2070  # setgid: files keep the group
    except OSError:
        return 0


def _make(ctx: Context, folder: Path, at: datetime, started: float) -> BackupResult:
    group = _group_bits(ctx)
    if not folder.exists():
        folder.mkdir(parents=True)
        os.chmod(folder, 0o700 | group)
    final = folder / archive_name(at)
    partial = folder / f".{final.name}.part"
    with tempfile.TemporaryDirectory(prefix=".printdesk-backup-", dir=folder) as tmp:
        snapshot, member, kind = _snapshot(ctx, Path(tmp))
        jobs = _jobs_in(snapshot) if kind == "sqlite" else _jobs_now(ctx)
        try:
            os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
            if group:  # open()'s mode passes through the umask
                os.chmod(partial, 0o600 | (group & 0o060))
            with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
                writer = Writer(archive)
                writer.add_file(snapshot, member, compress=True)
                for job_id, status, name in jobs:
                    _add_job(ctx, writer, job_id, status, name)
                config_file = ctx.config.config_file
                if config_file is not None and config_file.is_file():
                    writer.add_file(config_file, CONFIG_MEMBER, compress=True)
                writer.finish({"created_at": at.isoformat(), "version": __version__,
                               "schema": current_revision(ctx.db), "database": kind,
                               "jobs": len(jobs)})
            with partial.open("rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(final, final.stat().st_size, len(jobs), len(writer.files),
                        time.monotonic() - started)


def _snapshot(ctx: Context, tmp: Path) -> tuple[Path, str, str]:
    source = sqlite_path(ctx.config.database_url)
    if source is not None:
        target = tmp / "printdesk.db"
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
                sqlite3.connect(target) as dst:
            src.execute(f"PRAGMA busy_timeout = {ctx.config.database.busy_timeout_ms}")
            src.backup(dst)
        return target, SQLITE_MEMBER, "sqlite"
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("the database is on a server and pg_dump is not installed on this PC")
    target = tmp / "printdesk.pgdump"
    url = ctx.config.database_url.replace("postgresql+psycopg://", "postgresql://")
    done = subprocess.run([pg_dump, "--format=custom", f"--file={target}", url],
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-300:]}")
    return target, PG_MEMBER, "postgresql"


def _jobs_in(snapshot: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(snapshot) as db:
        return list(db.execute("SELECT id, status, folder_name FROM jobs ORDER BY submitted_at"))


def _jobs_now(ctx: Context) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from storage.tables import JobRow

    with ctx.db.read() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(JobRow.id, JobRow.status, JobRow.folder_name).order_by(JobRow.submitted_at))]


def _add_job(ctx: Context, writer: Writer, job_id: str, status: str, name: str) -> None:
    store = ctx.store
    with store.lock(job_id):
        folder = store.job_dir(status, name)
        if not folder.is_dir():  # moved since the snapshot: take it from where it is now
            now = store.locate(name)
            if not now:
                log.warning("backup: job %s has no folder (doctor reports it)", name)
                return
            folder = store.job_dir(now[0], name)
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            writer.add_file(path, f"storage/{status}/{name}/{path.name}",
                            compress=path.suffix.lower() in (".json", ".txt", ".gcode"))


def _record(ctx: Context, last: LastBackup) -> None:
    try:
        ctx.set_setting(LAST_BACKUP, json.dumps({
            "at": last.at.isoformat(), "path": last.path, "size": last.size, "ok": last.ok,
            "error": last.error}))
    except Exception:  # the archive is what matters; the console just shows an older date
        log.exception("could not record the last backup")


def last_backup(ctx: Context) -> LastBackup | None:
    raw = ctx.get_setting(LAST_BACKUP)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return LastBackup(datetime.fromisoformat(data["at"]), data["path"], int(data["size"]),
                          bool(data["ok"]), data.get("error", ""))
    except (ValueError, KeyError, TypeError):
        return None


def last_good_backup_at(ctx: Context) -> datetime | None:
    last = last_backup(ctx)
    times = [archive_time(p) for p in archives_in(backup_folder(ctx.config))[-1:]]
    if last is not None and last.ok:
        times.append(last.at)
    return max(times) if times else None


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` PrintDesk archives in `folder` (nothing else)."""
    old = archives_in(folder)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
        log.info("removed the old backup %s (keeping the newest %d)", path.name, keep)
    return old


def scheduled_backup(ctx: Context) -> BackupResult | None:
    """The worker's periodic job: a backup when the newest is older than every_hours."""
    config = ctx.config.backup
    if not config.scheduled:
        return None
    newest = last_good_backup_at(ctx)
    if newest is not None and datetime.now(UTC) - newest < timedelta(hours=config.every_hours):
        return None
    result = make_backup(ctx)
    rotate(backup_folder(ctx.config), config.keep)
    return result


def restore(archive: Path, config: Config) -> dict[str, Any]:
    """Unpack a verified archive into `config.data_dir`, which must be empty or absent."""
    target = config.data_dir
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} is not empty: restore only into an empty data folder")
    manifest = verify(archive)  # before anything is written
    if manifest["database"] != "sqlite":
        raise BackupError("this archive holds a PostgreSQL dump: restore it with pg_restore "
                          "into an empty database, and its storage/ members into the storage "
                          "folder (README, Backups)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".printdesk-restore-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in manifest["files"]:
                path = (staging / ("printdesk.db" if member == SQLITE_MEMBER else
                                   "printdesk.toml" if member == CONFIG_MEMBER else member))
                if not path.resolve().is_relative_to(staging.resolve()):
                    raise BackupError(f"{archive}: {member} points outside the data folder")
                path.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as src, path.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        os.chmod(staging, 0o700)
        if (staging / "printdesk.db").exists():
            os.chmod(staging / "printdesk.db", 0o600)  # as `printdesk init` makes it
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("restored %s into %s (%d jobs)", archive, target, manifest.get("jobs", 0))
    return manifest
