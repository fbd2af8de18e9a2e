"""Reports for a period: what the lab printed, earned and how long jobs took (SPEC §9).

Everything comes from the jobs and their append-only events, so a report about last year reads
the same next year (purged jobs included: cleanup keeps rows and events). Days, ISO weeks and
months are the lab's (`[lab] timezone`): a payment at 23:30 on a Sunday evening belongs to that
week though UTC already says Monday. A period is a pair of local dates, both included.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.domain.statuses import STATUS_ORDER
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context

# (stage name, the event that starts it, the events that end it)
STAGES = (
    ("Submitted → quoted", ("submit",), ("approve",)),
    ("Quoted → confirmed", ("approve",), ("confirm", "confirm_on_behalf")),
    ("Confirmed → printing", ("confirm", "confirm_on_behalf"), ("start_printing",)),
    ("Printing → printed", ("start_printing",), ("complete",)),
    ("Printed → picked up", ("complete",), ("picked_up",)),
    ("Submitted → picked up", ("submit",), ("picked_up",)),
)
TIMED = {"submit", "approve", "confirm", "confirm_on_behalf", "start_printing", "complete",
         "picked_up"}


@dataclass(frozen=True)
class Payment:
    at: datetime  # in the lab's time zone
    reference: str
    student_name: str
    amount: Decimal


@dataclass(frozen=True)
class StageTime:
    stage: str
    jobs: int
    median_h: float | None
    p90_h: float | None


@dataclass(frozen=True)
class Report:
    start: date | None
    end: date | None
    submitted: int
    by_status: tuple[tuple[str, int], ...]  # jobs submitted in the period, by status now
    by_week: tuple[tuple[str, int], ...]  # "2026-W47"
    by_printer: tuple[tuple[str, int], ...]
    by_discipline: tuple[tuple[str, int], ...]
    by_class: tuple[tuple[str, int], ...]
    revenue_by_week: tuple[tuple[str, Decimal], ...]
    revenue_by_month: tuple[tuple[str, Decimal], ...]  # "2026-11"
    payments: tuple[Payment, ...]
    stages: tuple[StageTime, ...]
    reject_reasons: tuple[tuple[str, int], ...]

    @property
    def revenue(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))


def bounds(start: date | None, end: date | None, tz: ZoneInfo
           ) -> tuple[datetime | None, datetime | None]:
    """The period's local dates as instants: from the first day's midnight to the midnight
    after the last day, in the lab's zone."""
    low = datetime.combine(start, time(), tz) if start else None
    high = datetime.combine(end + timedelta(days=1), time(), tz) if end else None
    return low, high


def week_of(at: datetime, tz: ZoneInfo) -> str:
    year, week, _ = at.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def month_of(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%Y-%m}"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of them at or below."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil
    return ordered[int(rank) - 1]


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _in(at: datetime, low: datetime | None, high: datetime | None) -> bool:
    return (low is None or at >= low) and (high is None or at < high)


def make_report(ctx: Context, start: date | None = None, end: date | None = None) -> Report:
    tz = ctx.config.tz
    low, high = bounds(start, end, tz)
    with ctx.db.read() as session:
        query = select(JobRow.id, JobRow.short_id, JobRow.student_name, JobRow.status,
                       JobRow.printer, JobRow.discipline, JobRow.class_number,
                       JobRow.submitted_at)
        jobs = {r.id: r for r in session.execute(query)}
        events = session.execute(select(EventRow.job_id, EventRow.type, EventRow.at,
                                        EventRow.details)
                                 .where(EventRow.type.in_(TIMED | {"reject", "decline"}))
                                 .order_by(EventRow.id)).all()
    submitted = [j for j in jobs.values() if _in(j.submitted_at, low, high)]
    timeline: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    payments: list[Payment] = []
    reasons: Counter[str] = Counter()
    picked: set[str] = set()
    for job_id, kind, at, details in events:
        if kind in TIMED:
            timeline[job_id].append((kind, at))
        if kind == "picked_up" and _in(at, low, high) and job_id in jobs:
            job = jobs[job_id]
            picked.add(job_id)
            payments.append(Payment(at.astimezone(tz), job.short_id.upper(), job.student_name,
                                     Decimal(str((details or {}).get("amount_paid") or "0"))))
        if kind in ("reject", "decline") and _in(at, low, high):
            reasons.update((details or {}).get("reasons", []))
    weekly: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    monthly: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for payment in payments:
        weekly[week_of(payment.at, tz)] += payment.amount
        monthly[month_of(payment.at, tz)] += payment.amount
    status_count = Counter(j.status for j in submitted)
    return Report(
        start, end, len(submitted),
        tuple((s.value, status_count[s.value]) for s in STATUS_ORDER),
        tuple(sorted(Counter(week_of(j.submitted_at, tz) for j in submitted).items())),
        _ranked(Counter(j.printer for j in submitted)),
        _ranked(Counter(j.discipline for j in submitted)),
        _ranked(Counter(j.class_number for j in submitted)),
        tuple(sorted(weekly.items())), tuple(sorted(monthly.items())),
        tuple(sorted(payments, key=lambda p: p.at)),
        _stage_times(timeline, picked),
        _ranked(reasons))


def _stage_times(timeline: dict[str, list[tuple[str, datetime]]], picked_up: Iterable[str]
                 ) -> tuple[StageTime, ...]:
    """For the jobs picked up in the period: each stage from the first event that starts it
    to the last event that ends it (a reprint's second start counts from the first)."""
    spans: dict[str, list[float]] = {name: [] for name, _, _ in STAGES}
    for job_id in picked_up:
        seen = timeline.get(job_id, [])
        for name, starts, ends in STAGES:
            first = next((at for kind, at in seen if kind in starts), None)
            last = next((at for kind, at in reversed(seen) if kind in ends), None)
            if first is not None and last is not None and last >= first:
                spans[name].append((last - first).total_seconds() / 3600)
    return tuple(StageTime(name, len(values), statistics.median(values) if values else None,
                           percentile(values, 0.9) if values else None)
                 for name, values in spans.items())
