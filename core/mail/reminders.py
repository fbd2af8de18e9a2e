"""Reminders the worker sends ([email] settings, each can be switched off): a confirmation
reminder a day before the student's link expires, and pickup reminders after some days in
Completed (3 and 7 by default). Each is sent once: it is a unit that records a `reminder` event
with what it reminded of, and looks for that event before sending."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.config.keys import days_of
from core.domain.statuses import Action, Actor, Status
from core.jobs.unit import Draft, Message, Unchanged, run_unit
from core.mail import messages
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

CONFIRMATION_NOTICE = timedelta(days=1)


def _sent(draft: Draft, kind: str) -> list[dict[str, Any]]:
    return [d for d in draft.session.scalars(select(EventRow.details).where(
        EventRow.job_id == draft.job_id, EventRow.type == Action.REMINDER.value))
        if d.get("kind") == kind]


def _remind(ctx: Context, job_id: str, details: dict[str, Any],
            due: Callable[[Draft, JobRow], bool], build: Callable[[JobRow], Message]) -> bool:
    """Queue one reminder as a unit (its message and a `reminder` event); False when, looked at
    again under the job's lock, it was sent before or is no longer due."""
    def declare(draft: Draft) -> None:
        row = draft.load()
        if not due(draft, row):
            raise Unchanged
        draft.message(build(row))
        draft.event(Action.REMINDER.value, Actor.SYSTEM, details)

    try:
        run_unit(ctx, job_id, declare)
    except Unchanged:
        return False
    return True


def _confirmation_due(expires: datetime) -> Callable[[Draft, JobRow], bool]:
    def due(draft: Draft, row: JobRow) -> bool:
        return (row.status == Status.PENDING.value and row.confirm_nonce is not None
                and row.confirm_expires_at == expires
                and not any(d.get("expires_at") == expires.isoformat()
                            for d in _sent(draft, "confirmation")))
    return due


def _pickup_due(since: datetime, day: int) -> Callable[[Draft, JobRow], bool]:
    def due(draft: Draft, row: JobRow) -> bool:
        return (row.status == Status.COMPLETED.value and row.status_changed_at == since
                and not any(d.get("since") == since.isoformat() and d.get("day", 0) >= day
                            for d in _sent(draft, "pickup")))
    return due


def send_reminders(ctx: Context) -> int:
    """Queue every reminder now due; the number queued."""
    count = 0
    email = ctx.config.email
    now = ctx.now()
    with ctx.db.read() as session:
        pending = session.execute(select(JobRow.id, JobRow.confirm_expires_at).where(
            JobRow.status == Status.PENDING.value, JobRow.confirm_nonce.is_not(None),
            JobRow.confirm_expires_at > now,
            JobRow.confirm_expires_at <= now + CONFIRMATION_NOTICE)).all()
        completed = session.execute(select(JobRow.id, JobRow.status_changed_at).where(
            JobRow.status == Status.COMPLETED.value, JobRow.status_changed_at.is_not(None))).all()
    if email.confirmation_reminder:
        for job_id, expires in pending:
            count += _remind(ctx, job_id, {"kind": "confirmation", "expires_at": expires.isoformat()},
                             _confirmation_due(expires),
                             lambda r: messages.reminder_confirmation(ctx, r))
    if email.pickup_reminders:
        days = days_of(email.pickup_reminder_days)
        for job_id, since in completed:
            due = [d for d in days if now - since >= timedelta(days=d)]
            if not due:
                continue
            # After a long pause only the latest reminder goes, never a burst of old ones.
            day = max(due)
            count += _remind(ctx, job_id,
                             {"kind": "pickup", "since": since.isoformat(), "day": day},
                             _pickup_due(since, day),
                             lambda r, d=day: messages.reminder_pickup(ctx, r, d))
    if count:
        log.info("queued %d reminder(s)", count)
    return count
