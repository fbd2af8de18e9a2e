"""Jobs whose files `printdesk cleanup` removed: their row, history and metadata.json stay, and
a `purged` event says when and why. Doctor, the console and repair treat them as normal jobs
that simply have no model file any more."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import EventRow

if TYPE_CHECKING:
    from core.context import Context

PURGED = "purged"


def purged_ids(ctx: Context) -> set[str]:
    with ctx.db.read() as session:
        return set(session.scalars(select(EventRow.job_id).where(EventRow.type == PURGED)))


def purge_event(session: Session, job_id: str) -> EventRow | None:
    """The job's `purged` event, if its files were removed."""
    return session.scalars(select(EventRow).where(EventRow.job_id == job_id,
                                                  EventRow.type == PURGED)
                           .order_by(EventRow.id.desc()).limit(1)).first()


def purged_at(ctx: Context, job_id: str) -> tuple[datetime, int] | None:
    """(when, after how many days) the job's files were removed, or None if they were not."""
    with ctx.db.read() as session:
        event = purge_event(session, job_id)
    if event is None:
        return None
    return event.at, int((event.details or {}).get("days") or 0)
