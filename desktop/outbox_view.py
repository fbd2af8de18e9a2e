"""The outbox in the console: every email with its state (queued, sent, failed with the server's
error, cancelled), for all jobs (File → Outbox) or one job (its Messages tab). Staff retry or
cancel a message, or copy it as text to send by hand when mail is down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.desk import Desk
from core.mail.outbox import FAILED, QUEUED, OutboxEntry
from desktop.plain import plain_label, plain_tip
from desktop.tasks import TaskRunner

HEADERS = ("Job", "To", "Email", "State", "Tries", "Queued", "Sent / next try", "Server said")
STATE_COLOURS = {"queued": "#fff2b3", "sent": "#d8f0dc", "failed": "#f6c1c1", "cancelled": "#e7e3ee"}
KIND_NAMES = {"approval": "Quote", "confirmation_resent": "New confirmation link",
              "rejection": "Rejection", "completion": "Ready for pickup",
              "status_changed": "Status changed", "reminder_confirmation": "Reminder: confirm",
              "reminder_pickup": "Reminder: pickup"}
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def as_text(entry: OutboxEntry) -> str:
    """The message as staff would paste it into their own mail program."""
    return f"To: {entry.to}\nSubject: {entry.subject}\n\n{entry.text}"


class OutboxModel(QAbstractTableModel):
    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__()
        self.tz = tz
        self.entries: list[OutboxEntry] = []

    def set_rows(self, entries: Sequence[OutboxEntry]) -> None:
        self.beginResetModel()
        self.entries = list(entries)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def _when(self, moment: datetime | None) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry, column = self.entries[index.row()], index.column()
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            later = entry.sent_at if entry.state == "sent" else (
                entry.next_attempt_at if entry.state == QUEUED else None)
            return (entry.job_ref or "", entry.to, KIND_NAMES.get(entry.kind, entry.kind),
                    entry.state, str(entry.attempts), self._when(entry.created_at),
                    self._when(later), (entry.last_error or "").split("\n", 1)[0])[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 7 and entry.last_error:
                return plain_tip(entry.last_error)
            if column == 2:
                return plain_tip(entry.subject)
        if role == Qt.ItemDataRole.BackgroundRole and column == 3:
            return QBrush(QColor(STATE_COLOURS.get(entry.state, "#ffffff")))
        return None


class OutboxPanel(QWidget):
    """The table and its buttons; `job_id` None shows the whole outbox."""

    def __init__(self, desk: Desk, runner: TaskRunner, tz: ZoneInfo,
                 job_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.job_id = desk, runner, job_id
        self.model = OutboxModel(tz)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = plain_label()
        layout.addWidget(self.summary)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.retry = QPushButton("&Retry")
        self.cancel = QPushButton("C&ancel message")
        self.copy = QPushButton("&Copy as text")
        refresh = QPushButton("Re&fresh")
        for button in (self.retry, self.cancel, self.copy, refresh):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.retry.clicked.connect(lambda: self._act(self.desk.outbox.retry))
        self.cancel.clicked.connect(lambda: self._act(self.desk.outbox.cancel))
        self.copy.clicked.connect(self._copy)
        refresh.clicked.connect(self.load)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self._enable()

    def selected(self) -> OutboxEntry | None:
        index = self.table.currentIndex()
        return index.data(ENTRY_ROLE) if index.isValid() else None

    def show_job(self, job_id: str | None) -> None:
        self.job_id = job_id
        self.load()

    def load(self) -> None:
        outbox, job_id = self.desk.outbox, self.job_id
        self.runner.run(lambda: (outbox.entries(job_id), outbox.status()),
                        success=lambda r: self._loaded(*r),
                        failure=lambda e: self.summary.setText(f"The outbox cannot be read: {e}"))

    def _loaded(self, entries: list[OutboxEntry], status: Any) -> None:
        self.model.set_rows(entries)
        failed = sum(1 for e in entries if e.state == FAILED)
        queued = sum(1 for e in entries if e.state == QUEUED)
        scope = "This job's emails" if self.job_id else "All emails"
        text = f"{scope}: {len(entries)} · {queued} waiting · {failed} failed. {status.summary}"
        self.summary.setText(text if entries or not self.job_id else "No email for this job yet.")
        self._enable()

    def _enable(self) -> None:
        entry = self.selected()
        self.retry.setEnabled(entry is not None and entry.state in (FAILED, QUEUED))
        self.cancel.setEnabled(entry is not None and entry.state in (FAILED, QUEUED))
        self.copy.setEnabled(entry is not None)

    def _act(self, call: Any) -> None:
        entry = self.selected()
        if entry is not None:
            self.runner.run(lambda: call(entry.id), success=lambda _r: self.load(),
                            failure=lambda e: self.summary.setText(str(e)), write=True)

    def _copy(self) -> None:
        entry = self.selected()
        if entry is not None:
            QGuiApplication.clipboard().setText(as_text(entry))
            self.summary.setText(f"Copied the email to {entry.to}: paste it into your own mail "
                                 "program.")


class OutboxDialog(QDialog):
    def __init__(self, parent: QWidget | None, desk: Desk, runner: TaskRunner,
                 tz: ZoneInfo) -> None:
        super().__init__(parent)
        self.setWindowTitle("Outbox")
        self.resize(1100, 560)
        layout = QVBoxLayout(self)
        self.panel = OutboxPanel(desk, runner, tz, None, self)
        layout.addWidget(self.panel)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.panel.load()
