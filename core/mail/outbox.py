"""The outbox: emails queued with the change that caused them, sent by the background worker.

At least once, never lost: a message is claimed (its attempt counted and its next try set, in a
conditional write, so two senders can never both claim it) before it goes to the server, and
marked sent only after the server accepted it. A sender killed in between leaves it queued for
its next try, with the same Message-ID. Failed tries back off exponentially with jitter; after
[smtp] max_attempts the message is `failed`, with the server's error kept, until staff retry or
cancel it. With no SMTP server set, messages simply wait.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from core.config.sections import Smtp
from core.domain.errors import PrintDeskError
from core.jobs.unit import new_message_id
from core.mail import sender
from core.mail.render import render
from core.mail.settings import email_ready, password_of, smtp_settings
from core.ops import activity
from storage.tables import JobRow, OutboxRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

QUEUED, SENT, FAILED, CANCELLED = "queued", "sent", "failed", "cancelled"
BACKOFF_S, BACKOFF_MAX_S = 60.0, 3600.0


@dataclass(frozen=True)
class OutboxEntry:
    """One message as staff see it in the console."""

    id: int
    job_id: str | None
    job_ref: str | None
    kind: str
    to: str
    subject: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    text: str
    message_id: str | None


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes up to an hour, ±20 % so messages failed together do not retry together."""
    base = min(BACKOFF_MAX_S, BACKOFF_S * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def _claim(ctx: Context, now: datetime) -> OutboxRow | None:
    with ctx.db.write() as session:
        row = session.scalar(select(OutboxRow).where(OutboxRow.state == QUEUED,
                                                     OutboxRow.next_attempt_at <= now)
                             .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(1))
        if row is None:
            return None
        claimed = session.execute(
            update(OutboxRow).where(OutboxRow.id == row.id, OutboxRow.attempts == row.attempts,
                                    OutboxRow.state == QUEUED)
            .values(attempts=row.attempts + 1, next_attempt_at=now + backoff(row.attempts + 1))
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            return None
        session.refresh(row)
        return row


def send_due(ctx: Context, limit: int = 50) -> int:
    """Send what is due (at most `limit` messages); the number the server accepted."""
    smtp = smtp_settings(ctx.config)
    if not email_ready(smtp):
        return 0
    password = password_of(ctx.config, smtp)
    sent = 0
    for _ in range(limit):
        row = _claim(ctx, ctx.now())
        if row is None:
            break
        email = sender.build(smtp, ctx.config.lab.name, row.to_addr, row.subject, row.body_text,
                             row.body_html, row.message_id)
        try:
            sender.send(smtp, password, email)
        except Exception as exc:  # the server's refusal or absence: kept, retried, shown
            error = sender.describe(exc)
            dead = row.attempts >= smtp.max_attempts
            with ctx.db.write() as session:
                session.execute(update(OutboxRow).where(OutboxRow.id == row.id).values(
                    last_error=error, **({"state": FAILED} if dead else {})))
            activity.email_failed(row.id, row.kind, _job_ref(ctx, row.job_id), row.to_addr,
                                  row.attempts, dead, error)
            continue
        with ctx.db.write() as session:
            session.execute(update(OutboxRow).where(OutboxRow.id == row.id).values(
                state=SENT, sent_at=ctx.now(), last_error=None))
        activity.email_sent(row.id, row.kind, _job_ref(ctx, row.job_id), row.to_addr)
        sent += 1
    return sent


def _job_ref(ctx: Context, job_id: str | None) -> str | None:
    """The job's reference as staff know it, for the log line."""
    if job_id is None:
        return None
    with ctx.db.read() as session:
        ref = session.scalar(select(JobRow.short_id).where(JobRow.id == job_id))
    return ref.upper() if ref else job_id


def retry(ctx: Context, message_id: int) -> None:
    """A failed (or waiting) message goes out at the worker's next look, with fresh attempts."""
    with ctx.db.write() as session:
        session.execute(update(OutboxRow).where(OutboxRow.id == message_id,
                                                OutboxRow.state.in_([FAILED, QUEUED]))
                        .values(state=QUEUED, attempts=0, next_attempt_at=ctx.now(),
                                last_error=None))


def cancel(ctx: Context, message_id: int) -> None:
    with ctx.db.write() as session:
        session.execute(update(OutboxRow).where(OutboxRow.id == message_id,
                                                OutboxRow.state.in_([FAILED, QUEUED]))
                        .values(state=CANCELLED, next_attempt_at=None))


def entries(ctx: Context, job_id: str | None = None, limit: int = 500) -> list[OutboxEntry]:
    """Messages, newest first: all of them (the outbox view) or one job's."""
    query = (select(OutboxRow, JobRow.short_id).outerjoin(JobRow, JobRow.id == OutboxRow.job_id)
             .order_by(OutboxRow.id.desc()).limit(limit))
    if job_id is not None:
        query = query.where(OutboxRow.job_id == job_id)
    with ctx.db.read() as session:
        return [OutboxEntry(r.id, r.job_id, ref.upper() if ref else None, r.kind, r.to_addr,
                            r.subject, r.state, r.attempts, r.created_at, r.next_attempt_at,
                            r.sent_at, r.last_error, r.body_text, r.message_id)
                for r, ref in session.execute(query)]


def counts(ctx: Context) -> dict[str, int]:
    with ctx.db.read() as session:
        found = dict(session.execute(select(OutboxRow.state, func.count())
                                     .group_by(OutboxRow.state)).all())
    return {state: found.get(state, 0) for state in (QUEUED, SENT, FAILED, CANCELLED)}


@dataclass(frozen=True)
class EmailStatus:
    """What the console's status bar says about email."""

    ready: bool  # a server and a sender address are set
    queued: int
    failed: int

    @property
    def short(self) -> str:
        """For the status bar."""
        if not self.ready:
            return f"Email not set up ({self.queued} waiting)" if self.queued else \
                "Email not set up"
        if self.failed:
            return f"Email: {self.failed} failed"
        return f"Email: {self.queued} waiting" if self.queued else "Email: all sent"

    @property
    def summary(self) -> str:
        if not self.ready:
            waiting = f": {self.queued} message(s) waiting in the outbox" if self.queued else ""
            return f"Email is not set up{waiting} (Settings → Email)"
        if self.failed:
            return f"Email: {self.failed} message(s) failed (File → Outbox)"
        return f"Email: {self.queued} waiting" if self.queued else "Email: all sent"


class Outbox:
    """The outbox as the console uses it (File → Outbox, a job's Messages)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def entries(self, job_id: str | None = None) -> list[OutboxEntry]:
        return entries(self.ctx, job_id)

    def status(self) -> EmailStatus:
        found = counts(self.ctx)
        return EmailStatus(email_ready(smtp_settings(self.ctx.config)), found[QUEUED],
                           found[FAILED])

    def retry(self, message_id: int) -> None:
        retry(self.ctx, message_id)

    def cancel(self, message_id: int) -> None:
        cancel(self.ctx, message_id)


def send_test(ctx: Context, smtp: Smtp, password: str, to: str) -> None:
    """Send a test email now with these settings (typed, perhaps not saved yet); raises
    EmailError with the server's words when it does not go."""
    rendered = render(ctx.config, "test", {})
    email = sender.build(smtp, ctx.config.lab.name, to, rendered.subject, rendered.text,
                         rendered.html, new_message_id(smtp.from_address))
    if not email_ready(smtp):
        raise EmailError("Set the server and the sender's address first.")
    try:
        sender.send(smtp, password, email)
    except Exception as exc:
        activity.test_email(to, sender.describe(exc))
        raise EmailError(f"The test email was not sent: {sender.describe(exc)}") from exc
    activity.test_email(to, None)


class EmailError(PrintDeskError):
    """An email could not be sent now; the message says why in the server's words."""
