"""Keeps the queue current at any size without reloading everything.

The view holds one tab's rows (light columns only, core.domain.values.JobSummary) and the counts
(aggregate queries). A refresh after the first asks core only for the jobs changed since the
last change it saw (core.jobs.queries.changed_since) and updates those rows, moving a job out of
the tab when its status changed; a row already shown at the same version is the echo of this
console's own action and is left alone. Search runs over every tab at once from an index of
every job's searchable text, loaded after the queue first shows and kept current by the same
changes. Refreshes come in bursts (a folder rename is several file events): one runs at a time
and one more follows if asked meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal

from core.console.search import Matches, SearchIndex
from core.desk import Desk
from core.domain.statuses import Action, Actor, Status
from core.domain.values import Event, JobSummary, Overview
from core.mail.outbox import EmailStatus
from core.worker.lease import LeaseInfo
from desktop.jobs_model import JobTableModel
from desktop.tasks import TaskRunner


def _search_row(job: JobSummary) -> tuple[str, str, str]:
    return (job.id, job.status.value, f"{job.student_name} {job.student_email} "
            f"{job.class_number} {job.short_id}".lower())


class QueueRefresher(QObject):
    refreshed = Signal()  # rows, counts, worker and email state are current
    failed = Signal(str)
    new_jobs = Signal(list)  # names of students whose submissions just arrived
    answered = Signal(list)  # (student name, reference, confirmed?) for each student's answer
    searched = Signal()  # the search's matches changed

    def __init__(self, desk: Desk, runner: TaskRunner, model: JobTableModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.model = desk, runner, model
        self.status = Status.UPLOADED  # the tab shown
        self.marker: int | None = None  # None: the next refresh loads everything
        self.busy = False
        self._again = False
        self.last_checked: datetime | None = None  # every poll, even when nothing changed
        self.last_updated: datetime | None = None
        self.reachable = True
        self.overview: Overview | None = None
        self.worker: LeaseInfo | None = None
        self.email: EmailStatus | None = None
        self.index = SearchIndex()
        self.index_ready = False
        self.needle = ""
        self.matches: Matches | None = None
        self._loading_tab: Status | None = None

    # --- tabs and search ------------------------------------------------------------------------

    def show_tab(self, status: Status) -> None:
        """Load one tab's rows (the view asked for them)."""
        self.status, self._loading_tab = status, status
        queries = self.desk.queries
        self.runner.run(lambda: queries.summaries(status),
                        success=lambda rows, s=status: self._tab_loaded(s, rows),
                        failure=self._failed)

    def _tab_loaded(self, status: Status, rows: list[JobSummary]) -> None:
        if status is not self.status:
            return  # staff moved on to another tab meanwhile
        self._loading_tab = None
        self.model.set_rows(rows)
        self.refreshed.emit()

    def search(self, text: str) -> None:
        self.needle = text
        if not self.index_ready and text.strip():
            self._load_index()
            return
        self.matches = self.index.match(text)
        self.model.set_filter(None if self.matches is None else self.matches.ids)
        self.searched.emit()

    def _load_index(self) -> None:
        if self.index_ready:
            return
        queries = self.desk.queries
        self.runner.run(queries.search_index, success=self._index_loaded, failure=self._failed)

    def _index_loaded(self, rows: list[tuple[str, str, str]]) -> None:
        self.index.replace(rows)
        self.index_ready = True
        if self.needle.strip():
            self.search(self.needle)

    # --- refresh --------------------------------------------------------------------------------

    def refresh(self, full: bool = False) -> None:
        if full:
            self.marker = None
        if self.busy:  # a burst of changes: one more refresh after this one, not ten
            self._again = True
            return
        self.busy = True
        queries, outbox, marker, status = self.desk.queries, self.desk.outbox, self.marker, \
            self.status
        days = self.model.overdue_days

        def load() -> tuple[int, list[JobSummary], list[Event], Status | None,
                            Overview | None, LeaseInfo | None, EmailStatus]:
            if marker is None:
                now = queries.change_marker()  # read first: a change meanwhile is not missed
                return (now, queries.summaries(status), [], status, queries.overview(days),
                        queries.worker(), outbox.status())
            now, changed, events = queries.changed_since(marker)
            overview = queries.overview(days) if changed else None
            return now, changed, events, None, overview, queries.worker(), outbox.status()

        self.runner.run(load, success=lambda result: self._loaded(*result),
                        failure=self._failed)

    def apply_own(self, job: JobSummary) -> None:
        """This console's own action: its row now, before (and instead of) the refresh."""
        self._apply([job])
        self.index.update([_search_row(job)])

    def _loaded(self, marker: int, jobs: list[JobSummary], events: list[Event],
                tab: Status | None, overview: Overview | None, worker: LeaseInfo | None,
                email: EmailStatus) -> None:
        """`tab`: the status whose rows a full load read (None: only the changes were read)."""
        full = tab is not None
        self.busy = False
        self.reachable = True
        self.worker, self.email = worker, email
        self.last_checked = datetime.now(UTC)
        if overview is not None:
            self.overview = overview
        first = self.marker is None and self.last_updated is None
        if full:
            if tab is not self.status:
                pass  # a tab change raced this load: its own load fills the view
            else:
                # A load that started before this console's own action must not bring back
                # the older version the action already replaced.
                shown = {j.id: j for j in self.model.jobs()}
                self.model.set_rows([shown[j.id] if j.id in shown
                                     and shown[j.id].version > j.version else j for j in jobs])
        else:
            self._apply([j for j in jobs if self._newer(j)])
            self.index.update(_search_row(j) for j in jobs)
            self._announce(jobs, events)
        self.marker = marker
        if jobs or first or full:
            self.last_updated = self.last_checked
        if first:
            self._load_index()  # after the queue shows: searching needs every job's text
        elif self.matches is not None and jobs:
            self.search(self.needle)
        self.refreshed.emit()
        if self._again:
            self._again = False
            self.refresh()

    def _apply(self, jobs: list[JobSummary]) -> None:
        here = [j for j in jobs if j.status is self.status]
        gone = [j.id for j in jobs if j.status is not self.status]
        self.model.upsert(here)
        self.model.remove(gone)

    def _newer(self, job: JobSummary) -> bool:
        shown = self.model.job(job.id)
        return shown is None or shown.version < job.version

    def _announce(self, jobs: list[JobSummary], events: list[Event]) -> None:
        by_id = {j.id: j for j in jobs}
        new = [by_id[e.job_id].student_name for e in events
               if e.type == Action.SUBMIT.value and e.job_id in by_id]
        if new:
            self.new_jobs.emit(new)
        answers = [(by_id[e.job_id].student_name, by_id[e.job_id].short_id.upper(),
                    e.type == Action.CONFIRM.value)
                   for e in events if e.actor is Actor.STUDENT and e.job_id in by_id
                   and e.type in (Action.CONFIRM.value, Action.DECLINE.value)]
        if answers:
            self.answered.emit(answers)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.reachable = False
        self.last_checked = datetime.now(UTC)
        self.failed.emit(f"Could not read the queue: {error}")
