"""Tools → Clean up old jobs…: the finished jobs past the retention period and the space their
files take, and, once staff confirm, removing those files (records and history stay). The
listing and the removal run on the window's TaskRunner, never on the UI thread."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.console.cleanup_service import CleanupPlan, CleanupResult, CleanupService
from core.ops.doctor_report import size_text
from desktop.plain import plain_label
from desktop.tasks import TaskRunner

HEADERS = ("Job", "Student", "Status", "Since", "Files")


class CleanupDialog(QDialog):
    def __init__(self, parent: QWidget, service: CleanupService, runner: TaskRunner,
                 tz: ZoneInfo) -> None:
        super().__init__(parent)
        self.service, self.runner, self.tz = service, runner, tz
        self.plan: CleanupPlan | None = None
        self.result: CleanupResult | None = None
        self.setWindowTitle("Clean up old jobs")
        self.resize(760, 460)
        days = service.retention_days
        intro = plain_label(
            f"Jobs rejected or picked up more than {days} days ago ([limits] retention_days). "
            "Removing their files (model, thumbnail, sliced files) frees the space; each job's "
            "record and full history stay.")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.summary = plain_label("Looking for finished jobs…")
        self.remove_button = QPushButton("&Remove these files…")
        self.remove_button.setEnabled(False)
        close = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.remove_button.clicked.connect(self.confirm)
        close.clicked.connect(self.reject)
        self.load()

    def load(self) -> None:
        self.runner.run(self.service.preview, success=self.show_plan, failure=self.show_error)

    def show_plan(self, plan: CleanupPlan) -> None:
        self.plan = plan
        self.table.setRowCount(len(plan.jobs))
        for row, job in enumerate(plan.jobs):
            since = job.since.astimezone(self.tz).strftime("%Y-%m-%d")
            for column, text in enumerate((job.reference, job.student_name, job.status, since,
                                           size_text(job.size))):
                self.table.setItem(row, column, QTableWidgetItem(text))  # items show plain text
        self.table.resizeColumnsToContents()
        if plan.jobs:
            self.summary.setText(f"{len(plan.jobs)} job(s); removing their files frees "
                                 f"{size_text(plan.total)}.")
        else:
            self.summary.setText("Nothing to clean up: no finished job is that old.")
        self.remove_button.setEnabled(bool(plan.jobs))

    def show_error(self, error: BaseException) -> None:
        self.summary.setText(f"Could not clean up: {error}")
        self.remove_button.setEnabled(False)

    def confirm(self) -> None:
        plan = self.plan
        if plan is None or not plan.jobs:
            return
        ask = QMessageBox(QMessageBox.Icon.Warning, "Remove old files",
                          f"Remove the files of {len(plan.jobs)} job(s), "
                          f"{size_text(plan.total)}? Only a backup can bring them back; the "
                          "jobs' records and history stay.", parent=self)
        remove = ask.addButton("Remove files", QMessageBox.ButtonRole.AcceptRole)
        ask.addButton(QMessageBox.StandardButton.Cancel)
        ask.exec()
        clicked = ask.clickedButton()
        ask.deleteLater()
        if clicked is not remove:
            return
        self.remove_button.setEnabled(False)
        self.summary.setText("Removing files…")
        self.runner.run(lambda: self.service.apply(plan), success=self.purged,
                        failure=self.show_error, write=True)

    def purged(self, result: CleanupResult) -> None:
        self.result = result
        self.plan = None
        self.table.setRowCount(0)
        text = (f"Removed the files of {len(result.purged)} job(s): {size_text(result.freed)} "
                "freed. Their records and history stay.")
        if result.skipped:
            text += f" Left alone (changed meanwhile): {', '.join(result.skipped)}."
        self.summary.setText(text)


def open_dialog(window: QMainWindow) -> CleanupDialog | None:
    if window.locked:
        return None
    dialog = CleanupDialog(window, CleanupService(window.desk), window.runner,
                           window.services.tz)
    dialog.finished.connect(lambda _r: (window.refresh(), dialog.deleteLater()))
    dialog.open()  # window-modal, without a nested event loop
    return dialog


def install(window: QMainWindow) -> None:
    action = QAction("Clean &up old jobs…", window)
    action.setObjectName("cleanupAction")
    action.triggered.connect(lambda: open_dialog(window))
    window.tools_menu.addAction(action)
