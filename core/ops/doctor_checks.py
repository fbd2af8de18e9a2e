"""Doctor's checks of what surrounds the jobs: upload leftovers, the outbox, the worker, disk
space and permissions."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core.jobs.uploads import PREFIX, SUFFIX, spool_dir
from core.mail.outbox import FAILED, QUEUED
from core.mail.settings import email_ready, password_file, smtp_settings
from core.ops import activity
from core.ops.doctor_report import FIXED, OK, PROBLEM, WARNING, Finding, age_text, size_text
from core.worker.lease import lease_info
from storage.engine import sqlite_path
from storage.tables import OutboxRow

if TYPE_CHECKING:
    from core.context import Context

# The worker removes spool files an hour after their last write (core.worker.tasks): by then
# waitress has long dropped the connection that was writing it.
SPOOL_SAFE_AGE_S = 3600
OLD_MESSAGE_S = 3600


def check_spool(ctx: Context, repair: bool, now: float | None = None) -> list[Finding]:
    area, now = "Uploads", now or time.time()
    findings, fresh = [], 0
    for path in sorted(spool_dir(ctx).glob(f"{PREFIX}*{SUFFIX}")):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue  # its upload just finished
        age = now - info.st_mtime
        if age < SPOOL_SAFE_AGE_S:
            fresh += 1
            continue
        what = (f"{path.name}: {size_text(info.st_size)} left by an upload that stopped "
                f"{age_text(age)} ago")
        if repair:
            path.unlink(missing_ok=True)
            activity.log.info("doctor removed %s, an abandoned upload (%d bytes)", path.name,
                              info.st_size)
            findings.append(Finding(area, FIXED, f"{what}; removed."))
        else:
            findings.append(Finding(area, WARNING, f"{what}; --repair removes it."))
    if fresh:
        findings.append(Finding(area, OK, f"{fresh} upload(s) arriving now, left alone"))
    if not findings:
        findings.append(Finding(area, OK, "no leftovers from interrupted uploads"))
    return findings


def check_outbox(ctx: Context) -> list[Finding]:
    area = "Email"
    with ctx.db.read() as session:
        failed = session.scalar(select(func.count()).select_from(OutboxRow)
                                .where(OutboxRow.state == FAILED)) or 0
        retrying = session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.state == QUEUED, OutboxRow.last_error.is_not(None))) or 0
        oldest = session.scalar(select(func.min(OutboxRow.created_at))
                                .where(OutboxRow.state == QUEUED))
    findings = []
    if not email_ready(smtp_settings(ctx.config)):
        findings.append(Finding(area, WARNING, "no SMTP server is configured: emails wait in "
                                "the outbox (set [smtp] host and from_address, or Settings → "
                                "Email in the console)"))
    if failed:
        findings.append(Finding(area, PROBLEM, f"{failed} email(s) failed for good: retry or "
                                "cancel them in the console's Outbox"))
    if retrying:
        findings.append(Finding(area, WARNING, f"{retrying} email(s) refused by the server so "
                                "far, being retried"))
    if oldest is not None:
        age = (ctx.now() - oldest).total_seconds()
        findings.append(Finding(area, WARNING if age > OLD_MESSAGE_S else OK,
                                f"the oldest waiting email was queued {age_text(age)} ago"))
    elif not failed:
        findings.append(Finding(area, OK, "no email waiting"))
    return findings


def check_worker(ctx: Context) -> list[Finding]:
    area, info, now = "Worker", lease_info(ctx), ctx.now()
    if info is None:
        return [Finding(area, WARNING, "no background worker has ever run here: thumbnails and "
                        "emails wait (`printdesk intake` runs one, or `printdesk worker`)")]
    since = age_text((now - info.renewed_at).total_seconds())
    renewed = f"{info.machine} (pid {info.pid}), last renewed {since} ago"
    if info.alive(now):
        return [Finding(area, OK, f"a worker is alive: {renewed}")]
    return [Finding(area, WARNING, f"no worker is alive; the last one ran on {renewed}. "
                    "Start `printdesk intake` or `printdesk worker`.")]


def check_disk(ctx: Context) -> list[Finding]:
    limit = ctx.config.limits.min_free_disk_mb
    try:
        free = shutil.disk_usage(ctx.store.root).free // 1_048_576
    except OSError as exc:
        return [Finding("Disk", PROBLEM, f"free space unknown: {exc.strerror or exc}")]
    if free < limit:
        return [Finding("Disk", WARNING, f"{free} MB free in the storage folder, under the "
                        f"{limit} MB of [limits] min_free_disk_mb")]
    return [Finding("Disk", OK, f"{free} MB free in the storage folder")]


def _writable(folder: Path) -> bool:
    try:
        fd, name = tempfile.mkstemp(prefix=".doctor-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError:
        return False
    return True


def secret_files(ctx: Context) -> list[tuple[Path, str]]:
    """Files that hold secrets: the SQLite database (password hash, signing secret), the SMTP
    password file, and the configuration file when the password is written in it."""
    found = []
    database = sqlite_path(ctx.config.database_url)
    if database is not None:
        found.append((database, "the database (staff password hash, signing secret)"))
    smtp = smtp_settings(ctx.config)
    secret = password_file(ctx.config, smtp)
    if secret is not None:
        found.append((secret, "the SMTP password file"))
    if smtp.password and ctx.config.config_file is not None:
        found.append((ctx.config.config_file, "the configuration file (it holds the SMTP "
                      "password)"))
    return [(p, what) for p, what in found if p.is_file()]


def check_permissions(ctx: Context) -> list[Finding]:
    area, findings = "Permissions", []
    for folder, what in ((ctx.config.data_dir, "data folder"),
                         (ctx.store.root, "storage folder")):
        if _writable(folder):
            findings.append(Finding(area, OK, f"the {what} is writable"))
        else:
            findings.append(Finding(area, PROBLEM, f"the {what} {folder} cannot be written by "
                                    "this user"))
    if os.name != "posix":
        return findings
    for path, what in secret_files(ctx):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            findings.append(Finding(area, WARNING, f"{what} {path} can be read by other users "
                                    f"(mode {mode:o}): `chmod 600 {path}` unless a staff group "
                                    "shares it on purpose"))
        else:
            findings.append(Finding(area, OK, f"{what} is readable by its owner only"))
    return findings
