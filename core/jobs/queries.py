"""Read side of the service API: jobs, events, counts and student links as plain values."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from core.domain import links, tokens
from core.domain.errors import JobNotFound
from core.domain.statuses import Action, Status
from core.domain.values import STAFF_WAITING, Event, Job, JobFile, JobSummary, Overview
from core.jobs.records import event_value, job_value
from core.mesh.thumbnails import THUMBNAIL
from core.worker.lease import LeaseInfo, lease_info
from storage.filestore import METADATA
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context


SUMMARY_COLUMNS = (
    JobRow.id, JobRow.short_id, JobRow.folder_name, JobRow.status, JobRow.version,
    JobRow.student_name, JobRow.student_email, JobRow.class_number, JobRow.print_method,
    JobRow.color, JobRow.printer, JobRow.material, JobRow.cost, JobRow.submitted_at,
    JobRow.status_changed_at, JobRow.reviewed, JobRow.confirm_expires_at,
    JobRow.original_filename, JobRow.quote_suggestion,
)


_STATUS = {s.value: s for s in Status}  # Status(value) costs ~10 µs a row at 5,000 rows


def _summary(r: Any) -> JobSummary:
    suggested = r.quote_suggestion or {}
    return JobSummary(r.id, r.short_id, r.folder_name, _STATUS[r.status], r.version,
                      r.student_name, r.student_email, r.class_number, r.print_method, r.color,
                      r.printer, r.material, r.cost, r.submitted_at, r.status_changed_at,
                      r.reviewed, r.confirm_expires_at, r.original_filename,
                      suggested.get("cost"), suggested.get("error"))


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

    # --- the queue at scale: per tab, light rows, aggregate counts --------------------------

    def summaries(self, status: Status | None = None,
                  ids: Collection[str] | None = None) -> list[JobSummary]:
        """The queue's rows of one status (or these jobs), without the heavy columns."""
        query = select(*SUMMARY_COLUMNS).order_by(JobRow.submitted_at, JobRow.id)
        if status is not None:
            query = query.where(JobRow.status == status.value)
        if ids is not None:
            if not ids:
                return []
            query = query.where(JobRow.id.in_(list(ids)))
        with self.desk.db.read() as session:
            # Core rows, not ORM ones: the ORM's result machinery doubled the time per row.
            return [_summary(r) for r in session.connection().execute(query)]

    def search_index(self) -> list[tuple[str, str, str]]:
        """(id, status, lower-case text searched) of every job: name, email, class, reference."""
        with self.desk.db.read() as session:
            rows = session.execute(select(JobRow.id, JobRow.status, JobRow.student_name,
                                          JobRow.student_email, JobRow.class_number,
                                          JobRow.short_id))
            return [(i, st, f"{n} {e} {c} {r}".lower()) for i, st, n, e, c, r in rows]

    def overview(self, overdue_days: int) -> Overview:
        """Counts per status, new jobs waiting for staff, expired confirmations and overdue
        pickups, by aggregate queries (never by reading every job)."""
        now = self.desk.now()
        waiting = [s.value for s in STAFF_WAITING]
        with self.desk.db.read() as session:
            counts = dict(session.execute(select(JobRow.status, func.count())
                                          .group_by(JobRow.status)).all())
            new = session.scalar(select(func.count()).where(
                JobRow.reviewed.is_(False), JobRow.status.in_(waiting))) or 0
            expired = session.scalar(select(func.count()).where(
                JobRow.status == Status.PENDING.value,
                or_(JobRow.confirm_expires_at.is_(None), JobRow.confirm_expires_at <= now))) or 0
            overdue = session.scalar(select(func.count()).where(
                JobRow.status == Status.COMPLETED.value,
                JobRow.status_changed_at <= now - timedelta(days=overdue_days))) or 0
        return Overview({s: counts.get(s.value, 0) for s in Status}, new, expired, overdue)

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

    def changed_since(self, marker: int) -> tuple[int, list[JobSummary], list[Event]]:
        """(the marker now, the queue rows of every job changed after `marker`, the events
        that changed them), for a view that keeps its rows and updates only what changed."""
        with self.desk.db.read() as session:
            now = session.scalar(select(func.max(EventRow.id))) or 0
            if now <= marker:
                return now, [], []
            events = [event_value(e) for e in session.scalars(
                select(EventRow).where(EventRow.id > marker, EventRow.id <= now)
                .order_by(EventRow.id))]
        return now, self.summaries(ids={e.job_id for e in events}), events

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

    def files(self, job_id: str) -> list[JobFile]:
        """Every file in the job's folder, what it is, and what was read from sliced ones."""
        job = self.job(job_id)
        folder = self.desk.store.job_dir(job.status.value, job.folder_name)
        with self.desk.db.read() as session:
            picked = {d.get("file"): d for d in session.scalars(
                select(EventRow.details).where(EventRow.job_id == job_id,
                                               EventRow.type == Action.SLICED_FILE.value)
                .order_by(EventRow.id))}
        found = []
        try:
            entries = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        except OSError:
            return []
        for path in sorted(entries, key=lambda p: p.name):
            stat = path.stat()
            role = ("upload" if path.name == job.upload_file else "metadata" if path.name ==
                    METADATA else "thumbnail" if path.name == THUMBNAIL else "sliced"
                    if path.name in picked else "other")
            details = picked.get(path.name, {})
            summary = details.get("summary") or (f"not readable: {details['error']}"
                                                 if details.get("error") else "")
            found.append(JobFile(path.name, stat.st_size,
                                 datetime.fromtimestamp(stat.st_mtime, UTC), role,
                                 path.name == job.authoritative_file, summary))
        return found

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
