"""Fills the detail pane for the selected job: its fields at once, then its history, files and
links read off the UI thread; an answer for a job no longer selected is dropped."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from core.desk import Desk
from core.domain.values import Job
from desktop.detail import DetailPane
from desktop.tasks import TaskRunner


class DetailLoader(QObject):
    def __init__(self, desk: Desk, runner: TaskRunner, pane: DetailPane,
                 current: Callable[[], Job | None], on_error: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.pane = desk, runner, pane
        self.current, self.on_error = current, on_error

    def load(self, job: Job | None) -> None:
        self.pane.show_job(job)
        if job is None:
            return
        queries = self.desk.queries
        self.runner.run(lambda: (queries.events(job.id), queries.files(job.id),
                                 queries.links(job.id)),
                        success=lambda r, jid=job.id: self._loaded(jid, *r),
                        failure=lambda e: self.on_error(str(e)))

    def _loaded(self, job_id: str, events: list, files: list, links: dict) -> None:
        job = self.current()
        if job is None or job.id != job_id:
            return  # the selection moved on meanwhile
        self.pane.show_job(job, links)
        self.pane.show_events(events)
        self.pane.show_files(files)
