"""What the tabs, the title and the tray say about the queue: counts per status, expired
confirmations and overdue pickups, and, while searching, how many matches each tab holds."""

from __future__ import annotations

from collections.abc import Sequence

from core.console.search import Matches
from core.domain.statuses import Status
from core.domain.values import Overview
from desktop.queue_view import tab_label


def tab_texts(overview: Overview, statuses: Sequence[Status], matches: Matches | None = None
              ) -> list[str]:
    texts = []
    for status in statuses:
        count = overview.counts.get(status, 0)
        if matches is not None:  # where the search found something, and how much
            texts.append(f"{tab_label(status)} ({matches.per_status.get(status, 0)} of {count})")
            continue
        late = {Status.PENDING: (overview.expired, "expired"),
                Status.COMPLETED: (overview.overdue, "overdue")}.get(status, (0, ""))
        texts.append(f"{tab_label(status)} ({count}{f' · {late[0]} {late[1]}' if late[0] else ''})")
    return texts
