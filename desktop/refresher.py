"""Keeps the queue's rows current without reloading everything.

The first load (and F5) reads every job; afterwards a refresh asks core only for the jobs
changed since the last change it saw (core.jobs.queries.changed_since) and updates those rows.
A row this console already shows at the same version is left alone: that is the echo of this
console's own action, which updated its row straight from the action's result. Refreshes come
in bursts (a folder rename is several file events); one runs at a time and one more follows if
asked meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal

from core.desk import Desk
from core.domain.statuses import Action, Actor, Status
from core.domain.values import Event, Job
from core.mail.outbox import EmailStatus
from core.worker.lease import LeaseInfo
from desktop.jobs_model import JobTableModel
from desktop.tasks import TaskRunner


class QueueRefresher(QObject):
    refreshed = Signal()  # rows, counts, worker and email state are current
    failed = Signal(str)
    new_jobs = Signal(list)  # names of students whose submissions just arrived
    answered = Signal(list)  # (student name, reference, confirmed?) for each student's answer

    def __init__(self, desk: Desk, runner: TaskRunner, model: JobTableModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.model = desk, runner, model
        self.marker: int | None = None  # None: the next refresh loads everything
        self.busy = False
        self._again = False
        self.last_updated: datetime | None = None
        self.worker: LeaseInfo | None = None
        self.email: EmailStatus | None = None

    def refresh(self, full: bool = False) -> None:
        if full:
            self.marker = None
        if self.busy:  # a burst of changes: one more refresh after this one, not ten
            self._again = True
            return
        self.busy = True
        queries, marker = self.desk.queries, self.marker

        outbox = self.desk.outbox

        def load() -> tuple[int, list[Job], list[Event], bool, LeaseInfo | None, EmailStatus]:
            if marker is None:
                now = queries.change_marker()  # read first: a change meanwhile is not missed
                return now, queries.jobs(), [], True, queries.worker(), outbox.status()
            now, changed, events = queries.changed_since(marker)
            return now, changed, events, False, queries.worker(), outbox.status()

        self.runner.run(load, success=lambda result: self._loaded(*result),
                        failure=self._failed)

    def apply_own(self, job: Job) -> None:
        """This console's own action: its row now, before (and instead of) the refresh."""
        self.model.upsert([job])

    def _loaded(self, marker: int, jobs: list[Job], events: list[Event], full: bool,
                worker: LeaseInfo | None, email: EmailStatus) -> None:
        self.busy = False
        self.worker, self.email = worker, email
        if full:
            # A load that started before this console's own action must not bring back the
            # older version that action already replaced.
            shown = {j.id: j for j in self.model.jobs()}
            jobs = [shown[j.id] if j.id in shown and shown[j.id].version > j.version else j
                    for j in jobs]
            arrived = [] if self.marker is None and not shown else [
                j for j in jobs if j.id not in shown]
            self.model.set_rows(jobs)
        else:
            arrived = [j for j in jobs if self.model.job(j.id) is None]
            self.model.upsert([j for j in jobs if self._newer(j)])
        self.marker = marker
        new = [j.student_name for j in arrived if j.status is Status.UPLOADED]
        if new:
            self.new_jobs.emit(new)
        by_id = {j.id: j for j in jobs}
        answers = [(by_id[e.job_id].student_name, by_id[e.job_id].short_id.upper(),
                    e.type == Action.CONFIRM.value)
                   for e in events if e.actor is Actor.STUDENT and e.job_id in by_id
                   and e.type in (Action.CONFIRM.value, Action.DECLINE.value)]
        if answers:
            self.answered.emit(answers)
        self.last_updated = datetime.now(UTC)
        self.refreshed.emit()
        if self._again:
            self._again = False
            self.refresh()

    def _newer(self, job: Job) -> bool:
        shown = self.model.job(job.id)
        return shown is None or shown.version < job.version

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.failed.emit(f"Could not read the queue: {error}")
