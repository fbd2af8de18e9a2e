"""Read side of the service API: jobs, events, counts and student links as plain values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select

from core.domain import links, tokens
from core.domain.errors import JobNotFound
from core.domain.statuses import Status
from core.domain.values import Event, Job
from core.jobs.records import event_value, job_value
from core.mesh.thumbnails import THUMBNAIL
from core.worker.lease import LeaseInfo, lease_info
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context


class Queries:
    def __init__(self, desk: Context) -> None:
        self.desk = desk

    def job(self, ref: str) -> Job:
        """A job by its id or its short reference (what students and staff quote)."""
        ref = ref.strip()
        with self.desk.db.read() as session:
            row = session.get(JobRow, ref) or session.scalar(
                select(JobRow).where(JobRow.short_id == ref.lower())
            )
            if row is None:
                raise JobNotFound(ref)
            return job_value(row)

    def jobs(self, status: Status | None = None, search: str = "") -> list[Job]:
        query = select(JobRow).order_by(JobRow.submitted_at, JobRow.id)
        if status is not None:
            query = query.where(JobRow.status == status.value)
        text = search.strip()
        if text:
            escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            columns = (JobRow.student_name, JobRow.student_email, JobRow.class_number,
                       JobRow.short_id, JobRow.folder_name)
            query = query.where(or_(*(func.lower(c).like(like, escape="\\") for c in columns)))
        with self.desk.db.read() as session:
            return [job_value(r) for r in session.scalars(query)]

    def counts(self) -> dict[Status, int]:
        with self.desk.db.read() as session:
            rows = session.execute(select(JobRow.status, func.count()).group_by(JobRow.status))
            found = {Status(s): n for s, n in rows}
        return {s: found.get(s, 0) for s in Status}

    def new_count(self) -> int:
        with self.desk.db.read() as session:
            return session.scalar(select(func.count()).where(JobRow.reviewed.is_(False))) or 0

    def change_marker(self) -> int:
        """Grows with every change to any job (each change appends an event): one look-up on
        the events' primary key, as cheap at 50,000 jobs as at 100."""
        with self.desk.db.read() as session:
            return session.scalar(select(func.max(EventRow.id))) or 0

    def changed_since(self, marker: int) -> tuple[int, list[Job], list[Event]]:
        """(the marker now, every job changed after `marker`, the events that changed them),
        for a view that keeps its rows and updates only what changed."""
        with self.desk.db.read() as session:
            now = session.scalar(select(func.max(EventRow.id))) or 0
            if now <= marker:
                return now, [], []
            events = [event_value(e) for e in session.scalars(
                select(EventRow).where(EventRow.id > marker, EventRow.id <= now)
                .order_by(EventRow.id))]
            rows = session.scalars(select(JobRow).where(
                JobRow.id.in_({e.job_id for e in events})))
            return now, [job_value(r) for r in rows], events

    def worker(self) -> LeaseInfo | None:
        """Who runs the background work (thumbnails, email…), and until when; None if no
        worker ever ran here."""
        return lease_info(self.desk)

    def events(self, job_id: str) -> list[Event]:
        with self.desk.db.read() as session:
            rows = session.scalars(
                select(EventRow).where(EventRow.job_id == job_id).order_by(EventRow.id)
            )
            return [event_value(r) for r in rows]

    def files(self, job_id: str) -> list[tuple[str, int]]:
        """(name, size) of every file in the job's folder, metadata.json included."""
        job = self.job(job_id)
        folder = self.desk.store.job_dir(job.status.value, job.folder_name)
        if not folder.is_dir():
            return []
        return sorted((p.name, p.stat().st_size) for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith("."))

    def thumbnail(self, job_id: str) -> bytes | None:
        """The job's thumbnail.png (drawn by the worker after submission), or None while it
        has none."""
        job = self.job(job_id)
        folder = self.desk.store.job_dir(job.status.value, job.folder_name)
        try:
            return self.desk.store.file_in(folder, THUMBNAIL).read_bytes()
        except OSError:
            return None

    def links(self, job_id: str) -> dict[str, str | None]:
        return {"status_url": self.status_url(job_id), "confirm_url": self.confirm_url(job_id)}

    def status_token(self, job_id: str) -> str:
        return tokens.status_token(self.desk.secret, job_id)

    def status_url(self, job_id: str) -> str:
        return links.status_link(self.desk.config.base_url, self.status_token(job_id))

    def confirm_url(self, job_id: str) -> str | None:
        """The student's live confirmation link, or None if the job has none (not Pending)."""
        with self.desk.db.read() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise JobNotFound(job_id)
            nonce = row.confirm_nonce
        if nonce is None:
            return None
        token = tokens.confirm_token(self.desk.secret, job_id, nonce)
        return links.confirm_link(self.desk.config.base_url, token)
