"""What a student may see through their links: the status page and the quote to confirm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.domain import tokens
from core.domain.errors import JobNotFound, TokenError
from core.domain.statuses import Status
from core.domain.values import Event, Job, confirmation_expired
from core.jobs.queries import Queries
from core.jobs.records import event_value, job_value
from core.mesh.thumbnails import THUMBNAIL
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context

QUEUE = (Status.PRINTING.value, Status.READY_TO_PRINT.value)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    detail: str = ""


@dataclass(frozen=True)
class StudentView:
    job: Job
    timeline: tuple[TimelineEntry, ...]
    queue_position: int | None  # 1-based among ReadyToPrint + Printing jobs, oldest first
    queue_length: int
    has_thumbnail: bool = False  # the worker has drawn the model's picture


def _label(event: Event) -> TimelineEntry | None:
    """Events a student may see, in their words; staff notes and bookkeeping stay private."""
    d = event.details
    labels = {
        "submit": ("Submitted", ""),
        "approve": ("Approved: quote sent", f"${d.get('cost')}" if d.get("cost") else ""),
        "reject": ("Rejected", "; ".join(d.get("reasons", []))),
        "confirm": ("You confirmed the quote", ""),
        "decline": ("You declined the quote", ""),
        "confirm_on_behalf": ("Quote confirmed with the lab", ""),
        "resend_confirmation": ("A new confirmation link was sent", ""),
        "start_printing": ("Printing started", ""),
        "print_failed": ("The print failed; it is queued to print again", ""),
        "complete": ("Printed: ready for pickup", ""),
        "picked_up": ("Picked up", ""),
        "override_status": (f"Status changed to {d.get('to')}", ""),
    }
    if event.type not in labels:
        return None
    label, detail = labels[event.type]
    return TimelineEntry(event.at, label, detail)


USED = ("This link has already been used, or the job is no longer waiting for your "
        "confirmation. Check the job's status page.")


def check_confirmation(row: JobRow, nonce: str, now: datetime) -> None:
    """Raise TokenError unless `nonce` is the job's live, unexpired confirmation."""
    if row.status != Status.PENDING.value or row.confirm_nonce is None:
        raise TokenError("used", USED)
    if row.confirm_nonce != nonce:
        raise TokenError("replaced", "A newer confirmation link was sent for this job; use the "
                         "link in the most recent email.")
    if confirmation_expired(row.status, row.confirm_expires_at, now):
        raise TokenError("expired", "This confirmation link has expired. Contact the lab to get "
                         "a new one.")


class StudentQueries:
    def __init__(self, desk: Context) -> None:
        self.desk = desk

    def status(self, token: str) -> StudentView:
        job_id = tokens.read_status_token(self.desk.secret, token)
        with self.desk.db.read() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise JobNotFound(job_id)
            events = [event_value(e) for e in session.scalars(
                select(EventRow).where(EventRow.job_id == job_id).order_by(EventRow.id))]
            queue = list(session.scalars(
                select(JobRow.id).where(JobRow.status.in_(QUEUE))
                .order_by(JobRow.submitted_at, JobRow.id)))
            job = job_value(row)
        timeline = tuple(t for t in map(_label, events) if t is not None)
        position = queue.index(job_id) + 1 if job_id in queue else None
        folder = self.desk.store.job_dir(job.status.value, job.folder_name)
        drawn = self.desk.store.file_in(folder, THUMBNAIL).is_file()
        return StudentView(job, timeline, position, len(queue), drawn)

    def thumbnail(self, token: str) -> bytes | None:
        """The picture of the student's model on their status page, when it has been drawn."""
        return Queries(self.desk).thumbnail(tokens.read_status_token(self.desk.secret, token))

    def quote(self, token: str) -> Job:
        """The pending job a confirmation token opens, checked but not used up."""
        job_id, nonce = tokens.read_confirm_token(self.desk.secret, token)
        with self.desk.db.read() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise TokenError("tampered", "This confirmation link is not valid.")
            check_confirmation(row, nonce, self.desk.now())
            return job_value(row)

    def status_token_for(self, confirm_token: str) -> str | None:
        """The status link's token of the job a (used, replaced or expired) confirmation link
        belongs to, so its page can send the student there; None for a forged link."""
        try:
            job_id, _nonce = tokens.read_confirm_token(self.desk.secret, confirm_token)
        except TokenError:
            return None
        with self.desk.db.read() as session:
            if session.get(JobRow, job_id) is None:
                return None
        return tokens.status_token(self.desk.secret, job_id)
