"""What the tabs, the title and the tray say about the queue: counts per status, expired
confirmations, and the jobs waiting for staff that nobody has looked at yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.domain.statuses import ACTIVE_STATUSES, Status
from core.domain.values import Job
from desktop.queue_view import tab_label


def tab_texts(jobs: Sequence[Job], statuses: Sequence[Status], now: datetime) -> list[str]:
    counts = dict.fromkeys(Status, 0)
    for job in jobs:
        counts[job.status] += 1
    late = sum(1 for j in jobs if j.confirmation_expired(now))
    return [f"{tab_label(status)} ({counts[status]}"
            f"{f' · {late} expired' if status is Status.PENDING and late else ''})"
            for status in statuses]


def new_count(jobs: Sequence[Job]) -> int:
    return sum(1 for j in jobs if j.is_new and j.status in ACTIVE_STATUSES)
