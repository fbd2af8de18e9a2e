"""Many new jobs at once, for sample data (`printdesk demo`) and benchmarks.

Each job is walked through its actions by the real workflow: the same declarations, rules,
events and messages as `run_unit`. What differs is where the changes go while the batch runs:
the job's row, events, messages and tasks stay in memory (the ORM's per-action flushes and
reloads cost ~20 ms a job), and `finish` writes them all with a few bulk inserts in one
transaction, after each folder is moved once to its final status with its metadata.json
written once. Only jobs created in the batch may change in it, so a failed batch removes its
folders and leaves the data folder as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.domain.statuses import ACTIVE_STATUSES
from core.jobs.records import metadata_document
from core.jobs.unit import Changed, Declare, Draft, _batch
from storage.filestore import STAGING, relaxed_durability
from storage.tables import EventRow, JobRow, OutboxRow, TaskRow

if TYPE_CHECKING:
    from core.context import Context

ACTIVE = frozenset(s.value for s in ACTIVE_STATUSES)


class _MemoryDraft(Draft):
    """A Draft whose row lives in the batch, not in the session, until the batch is written."""

    def __init__(self, batch: NewJobsBatch, job_id: str) -> None:
        assert batch.session is not None
        super().__init__(batch.ctx, batch.session, job_id)
        self.batch = batch

    def load(self) -> JobRow:
        row = self.batch.rows.get(self.job_id)
        if row is None:
            raise RuntimeError("a batch only changes the jobs it created")
        self.row, self.previous_version, self.source = row, row.version, row.status
        return row

    def _keep(self, row: JobRow) -> None:
        self.batch.rows[row.id] = row
        self.batch.short_ids.add(row.short_id)

    def _flush(self) -> Changed:
        row = self.row
        assert row is not None, "a unit must load or create its job"
        if self.target is not None and self.target != STAGING:
            row.status = self.target
        row.updated_at = self.ctx.now()
        # What the ORM's version counter does at each flush of a changed row.
        row.version = 1 if self.previous_version is None else row.version + 1
        now = self.ctx.now()
        self.batch.events.extend(self._events)
        self.batch.messages.extend(self._messages)
        self.batch.tasks.extend({"job_id": self.job_id, "kind": kind, "state": "queued",
                                 "attempts": 0, "due_at": now, "created_at": now}
                                for kind in self._tasks)
        return self._changed()


class NewJobsBatch:
    def __init__(self, ctx: Context, analyses: dict[Any, Any] | None = None) -> None:
        self.ctx = ctx
        # Model checks by (file, size, extension, printer, method), shared by the batches of
        # one fill: sample jobs reuse a few files (core.jobs.submit.check_submission).
        self.analyses = {} if analyses is None else analyses
        self.session: Session | None = None  # reading while the jobs are made, then writing
        self.created: dict[str, tuple[str, str]] = {}  # job id -> (folder name, status folder)
        self.rows: dict[str, JobRow] = {}
        self.short_ids: set[str] = set()
        self.events: list[EventRow] = []
        self.messages: list[OutboxRow] = []
        self.tasks: list[dict[str, Any]] = []

    def active_jobs(self, email: str) -> int:
        """The batch's own jobs in progress for this address (the per-email cap counts them)."""
        email = email.lower()
        return sum(1 for r in self.rows.values()
                   if r.status in ACTIVE and r.student_email.lower() == email)

    def run(self, job_id: str, declare: Declare, prepare: Callable[[], None] | None) -> Changed:
        if prepare is not None:
            prepare()
        draft = _MemoryDraft(self, job_id)
        declare(draft)
        result = draft._flush()
        if result.effects.moved and result.effects.moved[0] == STAGING:
            target = result.effects.moved[1]
            self.ctx.store.adopt_staging(job_id, target, result.folder_name)
            self.created[job_id] = (result.folder_name, target)
        if result.effects.removed:
            raise RuntimeError("a batch does not remove files")
        return result

    def finish(self, session: Session) -> None:
        """Every row in bulk and every folder to its status with its metadata.json, in the
        write transaction `session` (which commits after). metadata_version says the files
        match."""
        self.session = session
        if not self.rows:
            return
        columns = [c.key for c in JobRow.__table__.columns]
        jobs = []
        for row in self.rows.values():
            row.metadata_version = row.version
            jobs.append({key: getattr(row, key) for key in columns})
        self.session.execute(insert(JobRow.__table__), jobs)
        event_columns = [c.key for c in EventRow.__table__.columns if c.key != "id"]
        # Event ids go into metadata.json, so they are read back in insertion order.
        ids = self.session.scalars(
            insert(EventRow.__table__).returning(EventRow.id, sort_by_parameter_order=True),
            [{key: getattr(e, key) for key in event_columns} for e in self.events]).all()
        by_job: dict[str, list[EventRow]] = {job_id: [] for job_id in self.rows}
        for event, event_id in zip(self.events, ids, strict=True):
            event.id = event_id
            by_job[event.job_id].append(event)
        outbox_columns = [c.key for c in OutboxRow.__table__.columns if c.key != "id"]
        if self.messages:
            self.session.execute(insert(OutboxRow.__table__), [
                {key: getattr(m, key) for key in outbox_columns} for m in self.messages])
        if self.tasks:
            self.session.execute(insert(TaskRow.__table__), self.tasks)
        store = self.ctx.store
        for job_id, (name, folder) in self.created.items():
            row = self.rows[job_id]
            if row.status != folder:
                store.move(name, folder, row.status)
                self.created[job_id] = (name, row.status)
            store.write_metadata(store.job_dir(row.status, name),
                                 metadata_document(row, by_job[job_id]))

    def discard(self) -> None:
        for name, folder in self.created.values():
            shutil.rmtree(self.ctx.store.job_dir(folder, name), ignore_errors=True)


@contextmanager
def new_jobs_batch(ctx: Context, analyses: dict[Any, Any] | None = None
                   ) -> Iterator[NewJobsBatch]:
    """Run the units inside the block as one batch of new jobs (see the module's docstring).
    The block runs in a read transaction (the per-email cap and short ids see what others
    committed); only `finish` writes, so batches filled by several processes at once overlap
    except for their few bulk inserts."""
    batch = NewJobsBatch(ctx, analyses)
    with relaxed_durability():
        try:
            with ctx.db.read() as reading:
                batch.session = reading
                token = _batch.set(batch)
                try:
                    yield batch
                finally:
                    _batch.reset(token)
            with ctx.db.write() as session:
                batch.finish(session)
        except BaseException:
            batch.discard()
            raise
