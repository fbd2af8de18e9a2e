"""The one transition unit: every change to a job — staff actions, a student's confirm or
decline, a submission, every repair — goes through `run_unit`.

An action declares what it changes on a Draft inside the transaction: the row's fields, its new
status folder, the events to append, the outbox messages and background tasks to queue, the
files to remove. The unit applies all of it as one:
  1. take the job's lock file (cross-process);
  2. BEGIN IMMEDIATE; the action checks and changes the row (version + 1); events, messages and
     tasks are added in the same transaction;
  3. a new job's metadata.json is written into its scratch folder (so a crash after the next
     step leaves a complete folder that repair adopts);
  4. rename the job folder (scratch → Uploaded/, or status → status);  crash → folder ahead
  5. COMMIT (on failure the folder is renamed back);                  crash → metadata behind
  6. remove the files the action let go of; write metadata.json atomically and note its version.
                                                                      crash → metadata behind
The database is the truth: repair (core.ops.recovery) moves a folder to where the row says,
rewrites a stale metadata.json and adopts a complete folder the database lost; it never guesses
a status from where a folder happens to be. Each repair is itself a unit.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import datetime
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.domain.errors import ConcurrencyError, JobNotFound, StorageError, TransitionRefused
from core.domain.statuses import TRANSITIONS, Action, Actor, Status
from core.domain.values import Event, Job
from core.jobs.records import event_value, job_value, metadata_document
from core.ops import activity
from storage.filestore import STAGING, StoreError
from storage.tables import EventRow, JobRow, OutboxRow, TaskRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """An email to queue in the outbox with the change (sent later by the worker)."""

    kind: str
    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class Effects:
    """What a unit did besides changing the job's row."""

    events: tuple[Event, ...] = ()
    messages: tuple[int, ...] = ()  # outbox ids
    tasks: tuple[str, ...] = ()  # kinds of background task queued
    moved: tuple[str, str] | None = None  # (from folder, to folder)
    removed: tuple[str, ...] = ()  # files removed from the job's folder


@dataclass(frozen=True, eq=False)
class Changed(Job):
    """A job as a change left it (its new version), and what the change did: the console
    updates its row from this and knows the later echo of its own change when it sees it."""

    previous_version: int | None = None
    effects: Effects = field(default_factory=Effects)


class Unchanged(Exception):
    """Raised by a declaration that finds, under the lock, nothing left to do (a repair that a
    transition resolved first, a reminder already sent): the unit commits nothing."""


class Draft:
    """What one unit changes, declared by the action inside the transaction."""

    def __init__(self, ctx: Context, session: Session, job_id: str) -> None:
        self.ctx, self.session, self.job_id = ctx, session, job_id
        self.row: JobRow | None = None
        self.previous_version: int | None = None
        self.source: str | None = None  # folder the job folder is in now (a status or STAGING)
        self.target: str | None = None  # folder it must be in after the change
        self._events: list[EventRow] = []
        self._messages: list[OutboxRow] = []
        self._tasks: list[str] = []
        self._remove: list[str] = []

    # --- the row -------------------------------------------------------------------------------

    def load(self) -> JobRow:
        row = self.session.get(JobRow, self.job_id)
        if row is None:
            raise JobNotFound(self.job_id)
        self.row, self.previous_version, self.source = row, row.version, row.status
        return row

    def create(self, row: JobRow, from_staging: bool = True) -> JobRow:
        """A new job: its folder waits in the scratch area until the commit adopts it."""
        if from_staging:  # its metadata.json (version 1) is written before the rename
            row.metadata_version = 1
        if row.status_changed_at is None:
            row.status_changed_at = row.submitted_at
        self._keep(row)
        self.row = row
        if from_staging:
            self.source = STAGING
        self.target = row.status
        return row

    def _keep(self, row: JobRow) -> None:
        self.session.add(row)

    def adopt(self, values: dict[str, Any], found_in: str) -> JobRow:
        """A job rebuilt from its metadata.json (its version kept as written)."""
        self.session.execute(JobRow.__table__.insert(), [values])
        self.row = self.load()
        self.previous_version, self.source = None, found_in
        return self.row

    # --- effects -------------------------------------------------------------------------------

    def set_status(self, status: Status) -> None:
        assert self.row is not None
        if self.row.status != status.value:
            self.row.status_changed_at = self.ctx.now()
        self.row.status = status.value
        self.target = status.value

    def move_folder(self, source: str, target: str) -> None:
        """The folder is found in `source` but belongs in `target` (a repair)."""
        self.source, self.target = source, target

    def event(self, type_: str, actor: Actor, details: dict[str, Any],
              at: datetime | None = None) -> None:
        self._events.append(EventRow(job_id=self.job_id, type=type_, at=at or self.ctx.now(),
                                     actor=actor.value, machine=self.ctx.machine,
                                     details=details))

    def message(self, message: Message) -> None:
        self._messages.append(OutboxRow(
            job_id=self.job_id, kind=message.kind, to_addr=message.to, subject=message.subject,
            body_text=message.text, body_html=message.html, created_at=self.ctx.now(),
            state="queued", attempts=0, next_attempt_at=self.ctx.now(),
            message_id=new_message_id(self.ctx.config.smtp.from_address)))

    def task(self, kind: str) -> None:
        self._tasks.append(kind)

    def remove_file(self, name: str) -> None:
        """A file in the job's folder to delete once the change is committed."""
        self._remove.append(name)

    # --- applying ------------------------------------------------------------------------------

    def _flush(self) -> Changed:
        assert self.row is not None, "a unit must load, create or adopt its job"
        row = self.row
        if self.target is not None and self.target != STAGING:
            row.status = self.target
        row.updated_at = self.ctx.now()
        try:
            self.session.flush()  # the job's row first: everything else refers to it
        except StaleDataError:
            raise ConcurrencyError(row.short_id) from None
        self.session.add_all(self._events)
        self.session.add_all(self._messages)
        now = self.ctx.now()
        self.session.add_all(TaskRow(job_id=self.job_id, kind=kind, state="queued", attempts=0,
                                     due_at=now, created_at=now) for kind in self._tasks)
        self.session.flush()
        return self._changed()

    def _changed(self) -> Changed:
        assert self.row is not None
        moved = (self.source, self.target) if (self.source and self.target
                                                and self.source != self.target) else None
        job = job_value(self.row)
        return Changed(**{f.name: getattr(job, f.name) for f in fields(Job)},
                       previous_version=self.previous_version,
                       effects=Effects(tuple(event_value(e) for e in self._events),
                                       tuple(m.id for m in self._messages), tuple(self._tasks),
                                       moved, tuple(self._remove)))


def new_message_id(from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "printdesk.invalid"
    return make_msgid("printdesk", domain=domain)


Declare = Callable[[Draft], None]
THUMBNAIL_TASK = "thumbnail"
ESTIMATE_TASK = "estimate"  # slicing a new upload for an instant quote: core.worker.estimate


def run_unit(ctx: Context, job_id: str, declare: Declare,
             prepare: Callable[[], None] | None = None) -> Changed:
    """Apply what `declare` puts on the Draft as one unit (see the module's docstring).
    `prepare` runs first under the job's lock, outside the transaction (a new job's file is
    copied into its scratch folder there, so writers are not held up by the copy)."""
    try:
        batch = _batch.get()
        if batch is not None and batch.ctx is ctx:
            return batch.run(job_id, declare, prepare)
        return _run(ctx, job_id, declare, prepare)
    except StoreError as exc:  # the file store's refusal, said as the service's own error
        raise StorageError(str(exc)) from exc


def _run(ctx: Context, job_id: str, declare: Declare, prepare: Callable[[], None] | None
         ) -> Changed:
    store = ctx.store
    with store.lock(job_id):
        if prepare is not None:
            prepare()
        moved: tuple[str, str, str] | None = None
        try:
            with ctx.db.write() as session:
                draft = Draft(ctx, session, job_id)
                declare(draft)
                result = draft._flush()
                row = draft.row
                assert row is not None
                if result.effects.moved:
                    source, target = result.effects.moved
                    if source == STAGING:
                        events = list(session.scalars(select(EventRow).where(
                            EventRow.job_id == job_id).order_by(EventRow.id)))
                        store.write_metadata(store.staging_dir(job_id),
                                             metadata_document(row, events))
                        store.adopt_staging(job_id, target, row.folder_name)
                    else:
                        store.move(row.folder_name, source, target)
                    moved = (row.folder_name, target, source)
        except BaseException:
            if moved is not None:
                _move_back(ctx, job_id, *moved)
            raise
        _remove_files(ctx, result)
        if not (result.effects.moved and result.effects.moved[0] == STAGING):
            try:
                write_metadata(ctx, job_id)
            except Exception:  # the change is committed; repair rewrites the file at next start
                log.exception("job %s changed, but its metadata.json could not be written", job_id)
    for listener in ctx.task_listeners if result.effects.tasks or result.effects.messages else ():
        listener()
    return result


def _move_back(ctx: Context, job_id: str, name: str, current: str, original: str) -> None:
    try:
        if original == STAGING:
            ctx.store.return_to_staging(job_id, current, name)
        else:
            ctx.store.move(name, current, original)
    except Exception:  # the next start's repair puts it where the database says
        log.exception("could not move %s back to %s after a failed commit", name, original)
        if original == STAGING:
            _forget_new_folder(ctx, job_id, current, name)


def _forget_new_folder(ctx: Context, job_id: str, status: str, name: str) -> None:
    """A new job whose commit failed must leave nothing: its folder (this unit renamed it into
    place, so it is no one else's) goes, unless the commit did happen after all."""
    with ctx.db.read() as session:
        committed = session.get(JobRow, job_id) is not None
    folder = ctx.store.job_dir(status, name)
    if not committed and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)


def _remove_files(ctx: Context, result: Changed) -> None:
    if not result.effects.removed:
        return
    folder = ctx.store.job_dir(result.status.value, result.folder_name)
    for name in result.effects.removed:
        ctx.store.file_in(folder, name).unlink(missing_ok=True)


def write_metadata(ctx: Context, job_id: str) -> None:
    """Rewrite the job's metadata.json from the database. Caller holds the job's lock."""
    with ctx.db.read() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            raise JobNotFound(job_id)
        events = list(
            session.scalars(select(EventRow).where(EventRow.job_id == job_id).order_by(EventRow.id))
        )
        document = metadata_document(row, events)
        folder = ctx.store.job_dir(row.status, row.folder_name)
        version = row.version
    ctx.store.write_metadata(folder, document)
    with ctx.db.write() as session:
        # A Core UPDATE: bookkeeping must not bump the optimistic-concurrency version.
        session.execute(
            update(JobRow).where(JobRow.id == job_id).values(metadata_version=version)
            .execution_options(synchronize_session=False)
        )


# --- many new jobs at once (core.jobs.batch) ----------------------------------------------

class BatchRunner(Protocol):
    ctx: Context

    def run(self, job_id: str, declare: Declare, prepare: Callable[[], None] | None
            ) -> Changed: ...


_batch: ContextVar[Any] = ContextVar("printdesk_new_jobs_batch", default=None)


def active_batch() -> Any:
    """The batch of new jobs (core.jobs.batch.NewJobsBatch) this thread is inside, if any."""
    return _batch.get()


# --- the shapes of change --------------------------------------------------------------------

Apply = Callable[[Draft, JobRow], dict[str, Any]]


def transition(ctx: Context, job_id: str, action: Action, *, expected_version: int | None,
               apply: Apply, target: Status | None = None, actor: Actor | None = None,
               event_type: str | None = None) -> Changed:
    """A staff or student action on an existing job, checked against the transition table:
    `apply(draft, row)` changes the row (and may add effects) and returns the event's details."""
    rule = TRANSITIONS[action]
    before: list[str] = []  # the status the job had, for the log line

    def declare(draft: Draft) -> None:
        row = draft.load()
        if expected_version is not None and row.version != expected_version:
            raise ConcurrencyError(row.short_id)
        source = Status(row.status)
        if source not in rule.sources:
            raise TransitionRefused(row.short_id, source.value, rule.label)
        before[:] = [source.value]
        details = apply(draft, row)
        if (actor or rule.actor) is Actor.STAFF and action is not Action.MARK_UNREVIEWED:
            row.reviewed = True  # whoever acts on a job has looked at it: it is not NEW
        draft.set_status(target or rule.target or source)
        draft.event(event_type or action.value, actor or rule.actor, details)

    changed = run_unit(ctx, job_id, declare)
    if active_batch() is None:  # a batch is sample data (`printdesk demo`), not the desk's work
        activity.acted(changed, event_type or action.value, (actor or rule.actor).value,
                       before[0], changed.status.value)
    return changed
