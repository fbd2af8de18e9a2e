"""Thumbnails for the rows staff see first: read (never drawn: the background worker draws them
after each submission) off the UI thread and shown at 48 px."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage, QPixmap

from core.console.services import ConsoleServices
from core.domain.values import Job
from desktop.jobs_model import JobTableModel
from desktop.tasks import TaskRunner

FIRST_ROWS = 60


class ThumbnailFetcher(QObject):
    def __init__(self, services: ConsoleServices, runner: TaskRunner, model: JobTableModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services, self.runner, self.model = services, runner, model
        self._asked: set[str] = set()  # in flight, so a burst of refreshes asks once

    def fetch(self, jobs: list[Job]) -> None:
        for job in jobs:
            if self.model.has_thumbnail(job.id) or job.id in self._asked:
                continue
            self._asked.add(job.id)
            self.runner.run(lambda j=job: self.services.thumbnail(j),
                            success=lambda data, j=job: self._show(j.id, data),
                            failure=lambda _e, j=job: self._asked.discard(j.id))

    def _show(self, job_id: str, data: bytes | None) -> None:
        self._asked.discard(job_id)  # not drawn yet: asked again at a later refresh
        image = QImage.fromData(data) if data else QImage()
        if not image.isNull():
            self.model.set_thumbnail(job_id, QPixmap.fromImage(image).scaled(
                48, 48, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
