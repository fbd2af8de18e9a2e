"""Plain immutable values the service API takes and returns; never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.domain.statuses import Actor, Status


def confirmation_expired(status: Status | str, expires_at: datetime | None, now: datetime) -> bool:
    """A Pending job whose student can no longer confirm: the link expired (or none was made).
    Staff resend it or confirm on the student's behalf."""
    return Status(status) is Status.PENDING and (expires_at is None or expires_at <= now)


@dataclass(frozen=True)
class SubmissionForm:
    """What a student typed, as text, before validation."""

    student_name: str = ""
    student_email: str = ""
    discipline: str = ""
    class_number: str = ""
    print_method: str = ""
    color: str = ""
    printer: str = ""
    consent: str = ""


def pickup_overdue(status: Status | str, changed_at: datetime | None, now: datetime,
                   after_days: int) -> bool:
    """Printed and waiting for the student longer than the first pickup reminder."""
    return (Status(status) is Status.COMPLETED and changed_at is not None
            and now - changed_at >= timedelta(days=after_days))


# Jobs whose next step is the staff's (a student's confirmation or pickup is not): the console's
# title counts the new ones among these.
STAFF_WAITING = frozenset({Status.UPLOADED, Status.READY_TO_PRINT, Status.PRINTING})


# The fields a student fills in, in the form's order; `consent` is asked, never stored.
FORM_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SubmissionForm))
STUDENT_FIELDS: tuple[str, ...] = tuple(f for f in FORM_FIELDS if f != "consent")


@dataclass(frozen=True)
class Upload:
    """An uploaded file already on disk (a temporary file), with the name the student gave it."""

    path: Path
    original_filename: str
    # True for a spool file from core.jobs.uploads: submit moves it into the job and always removes it.
    owned: bool = False
    # Size and SHA-256 when whoever wrote the file already knows them (a hashing spool file),
    # so the file is not read again; the file must already be flushed to disk (fsync).
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Submission:
    """A validated submission: every field clean and consistent."""

    student_name: str
    student_email: str
    discipline: str
    class_number: str
    print_method: str
    color: str
    printer: str
    original_filename: str
    extension: str
    size_bytes: int


@dataclass(frozen=True)
class Event:
    id: int
    job_id: str
    type: str
    at: datetime
    actor: Actor
    machine: str
    details: Mapping[str, Any] = field(default_factory=dict)


class _Timing:
    """The queue's time rules, shared by a full Job and its queue row (JobSummary)."""

    reviewed: bool
    status: Status
    confirm_expires_at: datetime | None
    status_changed_at: datetime | None

    @property
    def is_new(self) -> bool:
        return not self.reviewed

    def confirmation_expired(self, now: datetime) -> bool:
        return confirmation_expired(self.status, self.confirm_expires_at, now)

    def pickup_overdue(self, now: datetime, after_days: int) -> bool:
        return pickup_overdue(self.status, self.status_changed_at, now, after_days)


@dataclass(frozen=True, eq=False)
class Job(_Timing):
    id: str
    short_id: str
    folder_name: str
    status: Status
    version: int
    student_name: str
    student_email: str
    discipline: str
    class_number: str
    print_method: str
    color: str
    printer: str
    original_filename: str
    upload_file: str
    authoritative_file: str
    file_size: int
    file_sha256: str
    submitted_at: datetime
    updated_at: datetime
    reviewed: bool
    staff_notes: str
    material: str | None
    weight_g: Decimal | None
    print_time_h: Decimal | None
    cost: Decimal | None
    amount_paid: Decimal | None
    reject_reasons: tuple[str, ...]
    confirm_expires_at: datetime | None
    analysis: Mapping[str, Any] | None
    status_changed_at: datetime | None = None
    quote_suggestion: Mapping[str, Any] | None = None


    def __eq__(self, other: object) -> bool:
        # The job's own fields decide: a Changed (the job plus what an action did) equals the
        # same job read back later.
        if not isinstance(other, Job):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Job))

    __hash__ = None  # type: ignore[assignment]  # holds mappings: not hashable


@dataclass(frozen=True)
class JobSummary(_Timing):
    """What the queue shows of a job: enough for its row, its markers and its search, without
    the heavy parts (the model check, notes, history); the full Job is read when selected."""

    id: str
    short_id: str
    folder_name: str
    status: Status
    version: int
    student_name: str
    student_email: str
    class_number: str
    print_method: str
    color: str
    printer: str
    material: str | None
    cost: Decimal | None
    submitted_at: datetime
    status_changed_at: datetime | None
    reviewed: bool
    confirm_expires_at: datetime | None
    original_filename: str
    suggested_cost: str | None  # the quote suggestion's cost, "≈" in the queue
    estimate_failed: str | None  # the automatic estimate's error, flagged in the queue



def summary_of(job: Job) -> JobSummary:
    """The queue's row for a job an action just returned."""
    suggested = job.quote_suggestion or {}
    return JobSummary(job.id, job.short_id, job.folder_name, job.status, job.version,
                      job.student_name, job.student_email, job.class_number, job.print_method,
                      job.color, job.printer, job.material, job.cost, job.submitted_at,
                      job.status_changed_at, job.reviewed, job.confirm_expires_at,
                      job.original_filename, suggested.get("cost"), suggested.get("error"))


@dataclass(frozen=True)
class Overview:
    """The queue in numbers, for the tabs, the title and the tray."""

    counts: Mapping[Status, int]
    waiting_new: int  # not yet reviewed and waiting for staff: the title's "N new"
    expired: int  # Pending jobs whose confirmation link expired
    overdue: int  # Completed jobs waiting for pickup longer than the first reminder


@dataclass(frozen=True)
class JobFile:
    """A file in a job's folder as staff see it in the Files tab."""

    name: str
    size: int
    modified: datetime
    role: str  # "upload" (the student's model), "sliced", "thumbnail", "metadata", "other"
    authoritative: bool  # the one "Open in slicer" opens
    summary: str = ""  # what PrintDesk read from a sliced file, or why it could not


@dataclass(frozen=True)
class SubmitResult:
    job: Job
    status_token: str


@dataclass(frozen=True)
class Problem:
    """One finding of `doctor`: what is wrong, and whether it was (or can be) repaired."""

    kind: str
    job_id: str | None
    message: str
    repaired: bool = False
    where: str | None = None  # "Status/FolderName" when the problem is a folder
