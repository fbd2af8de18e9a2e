"""A student's submission: validate, store the file, create the job, as one unit.

The file is first written to `.incoming/<job id>/` (scratch, never a job); the folder is renamed
into `Uploaded/` inside the database transaction, just before COMMIT. A crash before that rename
leaves only scratch (repair deletes it); a crash after it leaves a complete folder with its
metadata.json, which repair adopts as a job, so an accepted file is never lost.
"""

from __future__ import annotations

import copy
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from core.domain import naming, tokens
from core.domain.errors import StorageError, ValidationError
from core.domain.statuses import ACTIVE_STATUSES, Action, Actor, Status
from core.domain.validation import extension_of, validate_submission
from core.domain.values import Job, Submission, SubmissionForm, SubmitResult, Upload
from core.jobs.kept import is_spool, keep
from core.jobs.unit import ESTIMATE_TASK, THUMBNAIL_TASK, Draft, active_batch, run_unit
from core.mesh.analysis import ModelRejected, analyse_model
from core.mesh.budget import analysis_memory
from core.ops import activity
from storage.filestore import StoreError, fsync, hash_file
from storage.tables import JobRow

if TYPE_CHECKING:
    from core.context import Context


def copy_and_hash(source: Path, target: Path) -> tuple[int, str]:
    with target.open("xb") as dst:
        result = hash_file(source, dst.write)
        dst.flush()
        fsync(dst.fileno())
    return result


def check_submission(desk: Context, form: SubmissionForm, upload: Upload
                     ) -> tuple[Submission, dict[str, Any]]:
    """Every rule at once (fields, file, model check, per-email limit): one error per field."""
    errors: dict[str, str] = {}
    try:
        size: int | None = upload.path.stat().st_size
    except OSError:
        size = None
    clean: Submission | None = None
    try:
        clean = validate_submission(desk.config, form, upload.original_filename, size)
    except ValidationError as exc:
        errors.update(exc.errors)
    if size is None and "file" not in errors:
        errors["file"] = "The uploaded file could not be read; upload it again."
    analysis: dict[str, Any] = {}
    if "file" not in errors:
        method, printer = _method_and_printer(desk, form)
        extension = extension_of(upload.original_filename)
        # A batch of sample jobs submits the same few files again and again: each file's
        # check (the same for the same printer and method) runs once per fill.
        batch = active_batch()
        key = (str(upload.path), size, extension, printer, method)
        try:
            if batch is not None and key in batch.analyses:
                analysis = copy.deepcopy(batch.analyses[key])
            else:
                with desk.analysis_budget.hold(analysis_memory(upload.path, extension,
                                                               size or 0)):
                    analysis = analyse_model(upload.path, extension, desk.config, printer,
                                             method)
                if batch is not None:
                    batch.analyses[key] = copy.deepcopy(analysis)
        except ModelRejected as exc:
            errors["file"] = str(exc)
    email_error = _over_limit(desk, clean.student_email if clean else "")
    if email_error and "student_email" not in errors:
        errors["student_email"] = email_error
    if errors or clean is None:
        raise ValidationError(errors)
    return clean, analysis


def _method_and_printer(desk: Context, form: SubmissionForm) -> tuple[str, str]:
    """The form's method and printer when valid, else a stand-in so the model still gets checked
    (the student sees every problem at once; a stand-in's fit is never shown)."""
    config = desk.config
    printer = config.printer(form.printer.strip())
    method = config.method(form.print_method.strip())
    if printer is None or (method is not None and printer.method != method.name):
        candidates = config.printers_for(method.name) if method else config.printers
        printer = candidates[0] if candidates else config.printers[0]
    return printer.method, printer.name


# Built once: it runs twice per submission (and thousands of times in a demo fill).
_ACTIVE_FOR_EMAIL = select(func.count()).select_from(JobRow).where(
    func.lower(JobRow.student_email) == bindparam("email"),
    JobRow.status.in_([s.value for s in ACTIVE_STATUSES]))
_SHORT_ID_TAKEN = select(JobRow.id).where(JobRow.short_id == bindparam("short_id"))


def _over_limit(desk: Context, email: str, session: Session | None = None) -> str | None:
    """The per-email cap on active jobs; checked before the model check (so the student hears
    it with every other problem) and again inside the write transaction (two tabs at once)."""
    if not email:
        return None
    limit = desk.config.limits.max_active_jobs_per_email
    query, params = _ACTIVE_FOR_EMAIL, {"email": email.lower()}
    batch = active_batch()
    if session is None and batch is not None:
        session = batch.session
    if session is None:
        with desk.db.read() as fresh:
            count = fresh.scalar(query, params) or 0
    else:
        count = session.scalar(query, params) or 0
    if batch is not None:
        count += batch.active_jobs(email)  # its own jobs, not written yet, count too
    if count >= limit:
        return (f"You already have {count} jobs in progress with this email address, the most "
                f"the lab accepts at once ({limit}). Submit more once one is picked up, or "
                "contact the lab.")
    return None


def submit(desk: Context, form: SubmissionForm, upload: Upload, *,
           keep_on_refusal: bool = False) -> SubmitResult:
    """Check and store a submission. An `owned` upload (a spool file from core.jobs.uploads) is moved
    into the job, not copied, and is deleted whatever happens — except, with `keep_on_refusal`,
    when only other fields were refused: then the spool file stays and the ValidationError
    carries `kept` (core.jobs.kept.KeptUpload) for the re-shown form."""
    kept = False
    try:
        clean, analysis = check_submission(desk, form, upload)
        try:
            job = _store(desk, clean, analysis, upload)
        except StoreError as exc:  # the file store's refusal, said as the service's own error
            raise StorageError(str(exc)) from exc
    except ValidationError as exc:
        if keep_on_refusal and "file" not in exc.errors and is_spool(desk, upload) \
                and upload.path.exists():
            exc.kept = keep(desk, upload)
            kept = True
        raise
    finally:
        if upload.owned and not kept:
            upload.path.unlink(missing_ok=True)
    if active_batch() is None:  # a batch is sample data (`printdesk demo`), not a student's
        activity.submitted(job)
    return SubmitResult(job=job, status_token=tokens.status_token(desk.secret, job.id))


def _store(ctx: Context, clean: Submission, analysis: dict[str, Any], upload: Upload) -> Job:
    """The submission as one unit: the file goes into a scratch folder first (under the job's
    lock), then the row, its event and its thumbnail task are committed with the folder's
    rename into Uploaded/ (core.jobs.unit)."""
    job_id = uuid.uuid4().hex
    store = ctx.store
    staging = store.staging_dir(job_id)
    scratch = staging / "upload.part"
    received: dict[str, Any] = {}

    def prepare() -> None:
        staging.mkdir(parents=True)
        if upload.owned:
            if upload.sha256 is not None and upload.size is not None:
                received.update(size=upload.size, sha256=upload.sha256)  # hashed as spooled
            else:
                size, sha256 = hash_file(upload.path, durable=True)
                received.update(size=size, sha256=sha256)
            os.replace(upload.path, scratch)
        else:
            size, sha256 = copy_and_hash(upload.path, scratch)
            received.update(size=size, sha256=sha256)

    def declare(draft: Draft) -> None:
        session, now = draft.session, ctx.now()
        over = _over_limit(ctx, clean.student_email, session)
        if over:
            raise ValidationError({"student_email": over})
        short_id = _unique_short_id(session)
        folder = naming.standard_name(clean.student_name, clean.print_method, clean.color,
                                      short_id)
        upload_file = folder + clean.extension
        scratch.rename(store.file_in(staging, upload_file))
        draft.create(JobRow(
            id=job_id, short_id=short_id, folder_name=folder, status=Status.UPLOADED.value,
            student_name=clean.student_name, student_email=clean.student_email,
            discipline=clean.discipline, class_number=clean.class_number,
            print_method=clean.print_method, color=clean.color, printer=clean.printer,
            original_filename=clean.original_filename, upload_file=upload_file,
            authoritative_file=upload_file, file_size=received["size"],
            file_sha256=received["sha256"], submitted_at=now, updated_at=now, reviewed=False,
            staff_notes="", reject_reasons=[], analysis=analysis or None, metadata_version=0,
        ))
        draft.event(Action.SUBMIT.value, Actor.STUDENT, {
            "original_filename": clean.original_filename, "size": received["size"],
            "sha256": received["sha256"]})
        draft.task(THUMBNAIL_TASK)
        if ctx.config.slicing.estimate:
            draft.task(ESTIMATE_TASK)

    try:
        return run_unit(ctx, job_id, declare, prepare=prepare)
    finally:
        store.remove_staging(job_id)  # gone once adopted; after a failure, nothing may remain


def _unique_short_id(session: Session) -> str:
    for attempt in range(20):
        candidate = naming.new_short_id(6 if attempt < 10 else 8)
        batch = active_batch()
        if batch is not None and candidate in batch.short_ids:
            continue
        taken = session.scalar(_SHORT_ID_TAKEN, {"short_id": candidate})
        if taken is None:
            return candidate
    raise RuntimeError("could not find a free short id")
