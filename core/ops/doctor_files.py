"""Doctor's look at each job's files: the model students uploaded (present, with the size and
SHA-256 recorded at submission) and its thumbnail (present and decodable).

A damaged or missing model is put back from the newest backup archive that holds the recorded
bytes (core.ops.backup_lookup); when none does, the job's history says so once, and it stays a
problem until staff deal with it. Each repair is a unit (core.jobs.unit) with a `repair` event.
"""

from __future__ import annotations

import contextlib
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image
from sqlalchemy import select

from core.domain.errors import StorageError
from core.domain.statuses import Action, Actor
from core.jobs.unit import THUMBNAIL_TASK, Draft, Unchanged, run_unit
from core.mesh.thumbnails import THUMBNAIL
from core.ops import activity
from core.ops.backup_lookup import find_file, restore_to
from core.ops.doctor_report import FIXED, OK, PROBLEM, WARNING, Finding
from core.ops.purged import purged_ids
from storage.filestore import StoreError, hash_file
from storage.tables import EventRow, JobRow, TaskRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

FILE_LOST = "file_lost"  # the job's history: the model is gone and no backup has it
MODELS, THUMBS = "Model files", "Thumbnails"
MISSING = "is missing"


@dataclass(frozen=True)
class _Job:
    id: str
    short_id: str
    folder_name: str
    upload_file: str
    file_size: int
    file_sha256: str

    @property
    def ref(self) -> str:
        return self.short_id.upper()


def model_damage(path: Path, size: int, sha256: str) -> str | None:
    """What is wrong with the model file, or None when it holds the recorded bytes."""
    try:
        found = path.stat().st_size
    except FileNotFoundError:
        return "is missing"
    if found != size:
        return f"is {found} bytes, not the {size} recorded at submission"
    if hash_file(path)[1] != sha256:
        return "has other bytes than were submitted (its SHA-256 differs)"
    return None


def thumbnail_damage(path: Path) -> str | None:
    """What is wrong with the thumbnail (MISSING, or that it cannot be decoded), or None."""
    try:
        with Image.open(path) as image:
            image.load()  # decodes every pixel: a truncated or garbled PNG fails here
    except FileNotFoundError:
        return MISSING
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "cannot be read as a picture"
    return None


def _folder(ctx: Context, name: str) -> Path | None:
    """The job's folder wherever it is; None when it is in no status folder or in several
    (the job-folder check reports those)."""
    found = ctx.store.locate(name)
    return ctx.store.job_dir(found[0], name) if len(found) == 1 else None


def check_files(ctx: Context, repair: bool) -> list[Finding]:
    with ctx.db.read() as session:
        jobs = [_Job(*r) for r in session.execute(select(
            JobRow.id, JobRow.short_id, JobRow.folder_name, JobRow.upload_file,
            JobRow.file_size, JobRow.file_sha256).order_by(JobRow.submitted_at))]
        waiting = set(session.scalars(select(TaskRow.job_id).where(
            TaskRow.kind == THUMBNAIL_TASK, TaskRow.state == "queued")))
    purged = purged_ids(ctx)
    models: list[Finding] = []
    thumbs: list[Finding] = []
    checked = drawing = 0
    for job in jobs:
        if job.id in purged:
            continue
        folder = _folder(ctx, job.folder_name)
        if folder is None:
            continue
        try:
            model = ctx.store.file_in(folder, job.upload_file)
        except StoreError as exc:
            models.append(Finding(MODELS, PROBLEM, f"Job {job.ref}: {exc}"))
            continue
        damage = model_damage(model, job.file_size, job.file_sha256)
        checked += 1
        if damage is not None:
            models.append(_damaged(ctx, job, damage, repair))
            continue
        broken = thumbnail_damage(ctx.store.file_in(folder, THUMBNAIL))
        if broken is None:
            continue
        if broken == MISSING and job.id in waiting:
            drawing += 1
        elif repair:
            thumbs.append(_requeue(ctx, job, broken, job.id not in waiting))
        elif broken == MISSING:
            thumbs.append(Finding(THUMBS, WARNING, f"Job {job.ref} has no thumbnail and none is "
                                  "being drawn; --repair asks the worker to draw it again."))
        else:  # the worker never redraws a thumbnail that exists: repair removes it first
            thumbs.append(Finding(THUMBS, WARNING, f"Job {job.ref}'s thumbnail {broken}; "
                                  "--repair removes it and asks the worker to draw it again."))
    if not any(f.level == PROBLEM for f in models):
        models.insert(0, Finding(MODELS, OK, f"{checked} model file(s) hold the bytes recorded "
                                 "at submission" + (f"; {len(purged)} job(s) cleaned up, no "
                                                    "model expected" if purged else "")))
    if drawing:
        thumbs.append(Finding(THUMBS, OK, f"{drawing} thumbnail(s) waiting for the worker"))
    if not thumbs:
        thumbs.append(Finding(THUMBS, OK, "every model has its thumbnail"))
    return models + thumbs


# --- repairs -------------------------------------------------------------------------------------

def _note(draft: Draft, problem: str, text: str) -> None:
    draft.event(Action.REPAIR.value, Actor.SYSTEM, {"problem": problem, "repair": text})


def _logged(ctx: Context, job: _Job, text: str) -> None:
    activity.log.info("system repair on job %s: %s", job.ref, text)


def _requeue(ctx: Context, job: _Job, broken: str, queue: bool) -> Finding:
    if broken == MISSING:
        text = "thumbnail missing: asked the worker to draw it again"
    else:
        text = f"thumbnail {broken}: removed it and asked the worker to draw it again"

    def declare(draft: Draft) -> None:
        draft.load()
        if broken != MISSING:
            draft.remove_file(THUMBNAIL)  # once committed, under the lock the worker waits on
        if queue:
            draft.task(THUMBNAIL_TASK)
        _note(draft, "missing_thumbnail" if broken == MISSING else "broken_thumbnail", text)

    run_unit(ctx, job.id, declare)
    _logged(ctx, job, text)
    return Finding(THUMBS, FIXED, f"Job {job.ref}: {text}.")


def _damaged(ctx: Context, job: _Job, damage: str, repair: bool) -> Finding:
    what = f"Job {job.ref}: the model file {job.upload_file} {damage}"
    if not repair:
        return Finding(MODELS, PROBLEM, f"{what}; --repair restores it from a backup if one "
                       "holds it.")
    found = find_file(ctx.config, job.file_sha256, job.file_size)
    if found is not None:
        restored: list[str] = []

        def put_back() -> None:  # under the job's lock, before its transaction
            folder = _folder(ctx, job.folder_name)
            if folder is None:
                return
            model = ctx.store.file_in(folder, job.upload_file)
            if model_damage(model, job.file_size, job.file_sha256) is None:
                restored.append("")  # mended meanwhile
            elif restore_to(found, job.file_sha256, model):
                restored.append(found.archive.name)

        text = f"model file {damage}: restored from backup {found.archive.name}"

        def declare(draft: Draft) -> None:
            draft.load()
            if not restored or not restored[0]:
                raise Unchanged
            _note(draft, "damaged_model", text)

        try:
            with contextlib.suppress(Unchanged):  # nothing to record after all
                run_unit(ctx, job.id, declare, prepare=put_back)
        except (OSError, zipfile.BadZipFile, StorageError) as exc:
            # A damaged archive or a full disk: reported like any finding, never a traceback.
            return Finding(MODELS, PROBLEM, f"{what}; restoring it from {found.archive.name} "
                           f"failed: {exc}")
        if restored and restored[0]:
            _logged(ctx, job, text)
            return Finding(MODELS, FIXED, f"Job {job.ref}: the model file {damage}; restored "
                           f"from {found.archive.name}.")
        if restored:
            return Finding(MODELS, FIXED, f"Job {job.ref}: the model file is whole again.")
    flagged = _flag_lost(ctx, job, damage)
    return Finding(MODELS, PROBLEM, f"{what}, and no backup holds it: ask the student to upload "
                   "it again" + ("; noted in the job's history." if flagged else "."))


def _flag_lost(ctx: Context, job: _Job, damage: str) -> bool:
    """Say so in the job's history once (not at every doctor run); True when noted now."""
    def declare(draft: Draft) -> None:
        draft.load()
        last = draft.session.scalars(select(EventRow.type).where(
            EventRow.job_id == job.id, EventRow.type.in_([FILE_LOST, Action.REPAIR.value]))
            .order_by(EventRow.id.desc()).limit(1)).first()
        if last == FILE_LOST:
            raise Unchanged
        draft.event(FILE_LOST, Actor.SYSTEM, {"file": job.upload_file, "damage": damage})

    try:
        run_unit(ctx, job.id, declare)
    except Unchanged:
        return False
    log.warning("job %s: model file %s and no backup holds it", job.ref, damage)
    return True
