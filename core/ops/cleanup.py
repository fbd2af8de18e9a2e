"""Removing the files of finished jobs (SPEC §9): `printdesk cleanup`, the worker's scheduled
run ([cleanup] scheduled) and the console's Tools → Clean up old jobs.

A job is selected when it is Rejected or Paid & picked up and its status changed more than
`days` ago ([limits] retention_days by default). Purging it removes everything in its folder but
metadata.json — the model, thumbnail, sliced files — after a unit (core.jobs.unit) committed a
`purged` event: the row and the whole history stay, metadata.json is rewritten with that event,
so `printdesk rebuild` still knows the job. A plan is made first and applying it purges exactly
the jobs it lists (each checked again under its lock: one changed meanwhile is skipped).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core.domain.statuses import FINAL_STATUSES, STATUS_LABELS, Actor, Status
from core.jobs.unit import Draft, Unchanged, run_unit
from core.ops import activity
from core.ops.purged import PURGED, purge_event, purged_ids
from storage.filestore import METADATA, StoreError
from storage.tables import JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

_IN_FLIGHT = ".metadata-"  # a metadata.json being written: repair's business, never ours


@dataclass(frozen=True)
class CleanupJob:
    job_id: str
    reference: str
    student_name: str
    status: str  # its label, as staff read it
    since: datetime  # when it entered that status
    size: int  # bytes its files take (metadata.json not counted: it stays)


@dataclass(frozen=True)
class CleanupPlan:
    days: int
    cutoff: datetime
    jobs: tuple[CleanupJob, ...]

    @property
    def total(self) -> int:
        return sum(j.size for j in self.jobs)


@dataclass(frozen=True)
class CleanupResult:
    purged: tuple[CleanupJob, ...]
    freed: int
    skipped: tuple[str, ...]  # references of listed jobs that changed before their turn


def _removable(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.name != METADATA and not p.name.startswith(_IN_FLIGHT)]


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            else:
                total += path.lstat().st_size
        except OSError:
            continue
    return total


def plan_cleanup(ctx: Context, days: int | None = None) -> CleanupPlan:
    """What a cleanup would remove now; changes nothing."""
    days = ctx.config.limits.retention_days if days is None else days
    if days < 0:
        raise ValueError("days must be 0 or more")
    cutoff = ctx.now() - timedelta(days=days)
    since = func.coalesce(JobRow.status_changed_at, JobRow.updated_at)
    with ctx.db.read() as session:
        rows = session.execute(select(
            JobRow.id, JobRow.short_id, JobRow.student_name, JobRow.status, JobRow.folder_name,
            since).where(JobRow.status.in_([s.value for s in FINAL_STATUSES]), since < cutoff)
            .order_by(since, JobRow.id)).all()
    done = purged_ids(ctx)
    jobs = []
    for job_id, short_id, name, status, folder_name, changed in rows:
        if job_id in done:
            continue
        try:
            folder = ctx.store.job_dir(status, folder_name)
        except StoreError:
            continue
        if not folder.is_dir():  # lost or misplaced: doctor's business, not cleanup's
            continue
        jobs.append(CleanupJob(job_id, short_id.upper(), name, STATUS_LABELS[Status(status)],
                               changed, _size(_removable(folder))))
    return CleanupPlan(days, cutoff, tuple(jobs))


def _purge(ctx: Context, job: CleanupJob, plan: CleanupPlan) -> int | None:
    """Purge one listed job; the bytes freed, or None when it no longer qualifies."""
    found: list[Path] = []
    before: list[str] = []

    def declare(draft: Draft) -> None:
        row = draft.load()
        changed = row.status_changed_at or row.updated_at
        if Status(row.status) not in FINAL_STATUSES or changed >= plan.cutoff:
            raise Unchanged
        if purge_event(draft.session, job.job_id) is not None:
            raise Unchanged
        folder = ctx.store.job_dir(row.status, row.folder_name)
        if not folder.is_dir():
            raise Unchanged
        found[:] = _removable(folder)
        before[:] = [row.status]
        draft.event(PURGED, Actor.SYSTEM, {
            "days": plan.days, "files": [p.name for p in found], "bytes": _size(found)})

    try:
        changed = run_unit(ctx, job.job_id, declare)
    except Unchanged:
        return None
    freed = _size(found)
    with ctx.store.lock(job.job_id):  # the committed event comes first: a crash here leaves
        for path in found:           # a purged job with files, which nothing minds
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            except OSError as exc:  # open in a slicer on Windows, say: the rest still goes
                log.warning("cleanup could not remove %s of job %s: %s", path.name,
                            job.reference, exc)
    freed -= _size([p for p in found if p.exists()])
    activity.acted(changed, PURGED, Actor.SYSTEM.value, before[0], changed.status.value)
    log.info("cleanup removed %d file(s), %d bytes, of job %s", len(found), freed, job.reference)
    return freed


def apply_cleanup(ctx: Context, plan: CleanupPlan) -> CleanupResult:
    """Purge exactly the jobs the plan lists."""
    purged, skipped, freed = [], [], 0
    for job in plan.jobs:
        gone = _purge(ctx, job, plan)
        if gone is None:
            skipped.append(job.reference)
        else:
            purged.append(job)
            freed += gone
    return CleanupResult(tuple(purged), freed, tuple(skipped))


def scheduled_cleanup(ctx: Context) -> int:
    """The worker's periodic run: nothing unless [cleanup] scheduled is on. Jobs purged."""
    if not ctx.config.cleanup.scheduled:
        return 0
    result = apply_cleanup(ctx, plan_cleanup(ctx))
    if result.purged:
        log.info("scheduled cleanup: removed the files of %d job(s), %d bytes",
                 len(result.purged), result.freed)
    return len(result.purged)
