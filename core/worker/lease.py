"""One active worker across processes and PCs: a lease in the database.

A worker may do background work only while it holds the lease. It renews the lease well before
it expires; a worker that dies stops renewing, and once the lease has expired another worker
takes it (within a minute, with the default 30 s lease and a look every 10 s). Taking and
renewing are conditional writes inside `BEGIN IMMEDIATE` (SQLite) or a row lock (PostgreSQL),
so two workers can never both believe they hold it. Times come from each PC's clock: lab PCs
keep theirs in sync (NTP), and the lease is far longer than any drift.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from storage.tables import LeaseRow

if TYPE_CHECKING:
    from core.context import Context

WORKER = "worker"


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds (or last held) a lease: shown by the console and `printdesk doctor`."""

    holder: str
    machine: str
    pid: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def alive(self, now: datetime) -> bool:
        return self.expires_at > now


class Lease:
    def __init__(self, ctx: Context, name: str = WORKER, ttl_s: float = 30.0) -> None:
        self.ctx, self.name = ctx, name
        self.ttl = timedelta(seconds=ttl_s)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.expires_at: datetime | None = None  # while this process believes it holds it

    def held(self) -> bool:
        """Whether this worker may still act: it holds the lease, with a safety margin so it
        stops before anyone else could take over."""
        return self.expires_at is not None and self.ctx.now() < self.expires_at - self.ttl / 3

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours (then it is renewed)."""
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            row = session.scalar(select(LeaseRow).where(LeaseRow.name == self.name)
                                 .with_for_update())
            if row is None:
                row = LeaseRow(name=self.name, holder=self.holder, machine=self.ctx.machine,
                               pid=os.getpid(), acquired_at=now, renewed_at=now,
                               expires_at=now + self.ttl)
                session.add(row)
            elif row.holder == self.holder or row.expires_at <= now:
                if row.holder != self.holder:
                    row.holder, row.machine, row.pid = self.holder, self.ctx.machine, os.getpid()
                    row.acquired_at = now
                row.renewed_at, row.expires_at = now, now + self.ttl
            else:
                self.expires_at = None
                return False
        self.expires_at = now + self.ttl
        return True

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so another worker need not wait."""
        if self.expires_at is None:
            return
        self.expires_at = None
        with self.ctx.db.write() as session:
            row = session.get(LeaseRow, self.name)
            if row is not None and row.holder == self.holder:
                row.expires_at = self.ctx.now()


def lease_info(ctx: Context, name: str = WORKER) -> LeaseInfo | None:
    with ctx.db.read() as session:
        row = session.get(LeaseRow, name)
        if row is None:
            return None
        return LeaseInfo(row.holder, row.machine, row.pid, row.acquired_at, row.renewed_at,
                         row.expires_at)
