"""One transition as one unit: lock, database row + event, folder move, commit, metadata.json.

Order, and what a crash between two steps leaves (repaired by core.ops.recovery):
  1. take the job's lock file (cross-process);
  2. BEGIN IMMEDIATE; check the version and the rule; update the row (version + 1); add the event;
  3. rename the job folder into its new status folder;      crash → folder ahead of the database
  4. COMMIT (on failure the folder is renamed back);        crash → metadata.json behind
  5. write metadata.json atomically, then note its version.  crash → metadata.json behind
The database is the truth: repair moves a folder to where the row says and rewrites a stale
metadata.json; it never guesses a status from where a folder happens to be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.domain.errors import ConcurrencyError, JobNotFound, StorageError, TransitionRefused
from core.domain.statuses import TRANSITIONS, Action, Actor, Status
from core.domain.values import Job
from core.jobs.records import job_value, metadata_document
from storage.filestore import StoreError
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

# Mutates the row (inside the transaction) and returns the event's details.
Apply = Callable[[Session, JobRow], dict[str, Any]]


def add_event(
    desk: Context, session: Session, job_id: str, type_: str, actor: Actor, details: dict[str, Any]
) -> EventRow:
    event = EventRow(
        job_id=job_id, type=type_, at=desk.now(), actor=actor.value, machine=desk.machine,
        details=details,
    )
    session.add(event)
    return event


def write_metadata(desk: Context, job_id: str) -> None:
    """Rewrite the job's metadata.json from the database. Caller holds the job's lock."""
    with desk.db.read() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            raise JobNotFound(job_id)
        events = list(
            session.scalars(select(EventRow).where(EventRow.job_id == job_id).order_by(EventRow.id))
        )
        document = metadata_document(row, events)
        folder = desk.store.job_dir(row.status, row.folder_name)
        version = row.version
    desk.store.write_metadata(folder, document)
    with desk.db.write() as session:
        # A Core UPDATE: bookkeeping must not bump the optimistic-concurrency version.
        session.execute(
            update(JobRow).where(JobRow.id == job_id).values(metadata_version=version)
            .execution_options(synchronize_session=False)
        )


def act(
    desk: Context,
    job_id: str,
    action: Action,
    *,
    expected_version: int | None,
    apply: Apply,
    target: Status | None = None,
    actor: Actor | None = None,
    event_type: str | None = None,
) -> Job:
    try:
        return _act(desk, job_id, action, expected_version, apply, target, actor, event_type)
    except StoreError as exc:  # the file store's refusal, said as the service's own error
        raise StorageError(str(exc)) from exc


def _act(desk: Context, job_id: str, action: Action, expected_version: int | None, apply: Apply,
         target: Status | None, actor: Actor | None, event_type: str | None) -> Job:
    rule = TRANSITIONS[action]
    actor = actor or rule.actor
    with desk.store.lock(job_id):
        moved: tuple[str, str, str] | None = None
        try:
            with desk.db.write() as session:
                row = session.get(JobRow, job_id)
                if row is None:
                    raise JobNotFound(job_id)
                if expected_version is not None and row.version != expected_version:
                    raise ConcurrencyError(row.short_id)
                source = Status(row.status)
                if source not in rule.sources:
                    raise TransitionRefused(row.short_id, source.value, rule.label)
                details = apply(session, row)
                destination = target or rule.target or source
                row.status = destination.value
                row.updated_at = desk.now()
                add_event(desk, session, job_id, event_type or action.value, actor, details)
                try:
                    session.flush()
                except StaleDataError:
                    raise ConcurrencyError(row.short_id) from None
                if destination != source:
                    desk.store.move(row.folder_name, source.value, destination.value)
                    moved = (row.folder_name, destination.value, source.value)
                result = job_value(row)
        except BaseException:
            if moved is not None:
                _move_back(desk, *moved)
            raise
        try:
            write_metadata(desk, job_id)
        except Exception:  # the change is committed; repair rewrites the file at next start
            log.exception("job %s changed, but its metadata.json could not be written", job_id)
    return result


def _move_back(desk: Context, name: str, current: str, original: str) -> None:
    try:
        desk.store.move(name, current, original)
    except Exception:  # the next start's repair puts it where the database says
        log.exception("could not move %s back to %s after a failed commit", name, original)
