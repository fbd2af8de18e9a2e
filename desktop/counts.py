"""What the tabs, the title and the tray say about the queue: counts per status, expired
confirmations, and the jobs waiting for staff that nobody has looked at yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.domain.statuses import ACTIVE_STATUSES, Status
from core.domain.values import Job
from desktop.queue_view import tab_label


def tab_texts(jobs: Sequence[Job], statuses: Sequence[Status], now: datetime,
              overdue_days: int) -> list[str]:
    counts = dict.fromkeys(Status, 0)
    for job in jobs:
        counts[job.status] += 1
    extra = {Status.PENDING: (sum(1 for j in jobs if j.confirmation_expired(now)), "expired"),
             Status.COMPLETED: (sum(1 for j in jobs if j.pickup_overdue(now, overdue_days)),
                                "overdue")}
    texts = []
    for status in statuses:
        late, word = extra.get(status, (0, ""))
        texts.append(f"{tab_label(status)} ({counts[status]}{f' · {late} {word}' if late else ''})")
    return texts


def new_count(jobs: Sequence[Job]) -> int:
    return sum(1 for j in jobs if j.is_new and j.status in ACTIVE_STATUSES)
