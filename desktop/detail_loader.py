"""Fills the detail pane for the selected job: the queue row gives way to the job's full
record, its history (in plain English), files and links, all read off the UI thread; an answer
for a job no longer selected is dropped."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from core.desk import Desk
from core.domain.values import Job, JobSummary
from core.jobs.history import describe
from desktop.detail import DetailPane
from desktop.tasks import TaskRunner


class DetailLoader(QObject):
    def __init__(self, desk: Desk, runner: TaskRunner, pane: DetailPane,
                 current: Callable[[], JobSummary | None], on_error: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.pane = desk, runner, pane
        self.current, self.on_error = current, on_error

    def load(self, job: JobSummary | Job | None) -> None:
        if job is None:
            self.pane.show_job(None)
            return
        if isinstance(job, Job):
            self.pane.show_job(job)  # an action's result: its fields at once
        queries = self.desk.queries
        self.runner.run(lambda: (queries.job(job.id), queries.events(job.id),
                                 queries.files(job.id), queries.links(job.id)),
                        success=lambda r, jid=job.id: self._loaded(jid, *r),
                        failure=lambda e: self.on_error(str(e)))

    def _loaded(self, job_id: str, full: Job, events: list, files: list, links: dict) -> None:
        current = self.current()
        if current is None or current.id != job_id:
            return  # the selection moved on meanwhile
        shown = self.pane.job
        if shown is not None and shown.id == job_id and shown.version > full.version:
            full = shown  # this console's own action already showed a newer version
        self.pane.show_job(full, links)
        self.pane.show_events([(e, describe(e)) for e in events])
        self.pane.show_files(files)
