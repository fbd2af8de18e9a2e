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


@dataclass(frozen=True, eq=False)
class Job:
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

    @property
    def is_new(self) -> bool:
        return not self.reviewed

    def confirmation_expired(self, now: datetime) -> bool:
        return confirmation_expired(self.status, self.confirm_expires_at, now)

    def pickup_overdue(self, now: datetime, after_days: int) -> bool:
        """Printed and waiting for the student longer than the first pickup reminder."""
        return (self.status is Status.COMPLETED and self.status_changed_at is not None
                and now - self.status_changed_at >= timedelta(days=after_days))

    def __eq__(self, other: object) -> bool:
        # The job's own fields decide: a Changed (the job plus what an action did) equals the
        # same job read back later.
        if not isinstance(other, Job):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Job))

    __hash__ = None  # type: ignore[assignment]  # holds mappings: not hashable


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
