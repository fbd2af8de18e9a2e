"""The detail pane: every field of the selected job, its model check, notes, history and files,
and a button for each action its status allows. It shows values; the controller acts."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain.statuses import TRANSITIONS, Action, allowed_actions
from core.domain.values import Event, Job
from desktop.plain import plain_label, plain_tip

# Shown in the pane's action row; the rest (notes, fields) have their own controls.
BUTTON_ACTIONS = (
    Action.APPROVE, Action.REJECT, Action.CONFIRM_ON_BEHALF, Action.RESEND_CONFIRMATION,
    Action.START_PRINTING, Action.PRINT_FAILED, Action.COMPLETE, Action.PICKED_UP,
    Action.MARK_REVIEWED, Action.MARK_UNREVIEWED, Action.OVERRIDE_STATUS,
)


BUTTONS_PER_ROW = 4


def _label(text: str = "") -> QLabel:
    return plain_label(text, selectable=True)  # everything a student typed stays text


class DetailPane(QWidget):
    action_requested = Signal(str)
    open_requested = Signal()
    folder_requested = Signal()
    notes_saved = Signal(str)

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tz = tz
        self.job: Job | None = None
        layout = QVBoxLayout(self)
        self.title = _label()
        self.title.setObjectName("detailTitle")
        self.title.setStyleSheet("font-size: 15pt; font-weight: 700;")
        layout.addWidget(self.title)
        # A grid, not a row: a narrow pane wraps its buttons instead of clipping their labels.
        self.actions_row = QGridLayout()
        self.actions_row.setHorizontalSpacing(6)
        self.actions_row.setVerticalSpacing(6)
        layout.addLayout(self.actions_row)
        self.buttons: dict[str, QPushButton] = {}
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_details()
        self._build_notes()
        self._build_history()
        self._build_files()
        self.show_job(None)

    # --- building ---------------------------------------------------------------------------

    def _build_details(self) -> None:
        page = QWidget()
        self.fields = QFormLayout(page)
        self.values: dict[str, QLabel] = {}
        for key, label in (("reference", "Reference"), ("status", "Status"),
                           ("student", "Student"), ("email", "Email"),
                           ("discipline", "Discipline"), ("class", "Class"),
                           ("print", "Method · color · printer"), ("file", "Student's file"),
                           ("submitted", "Submitted"), ("quote", "Quote"),
                           ("paid", "Paid"), ("reasons", "Rejection reasons"),
                           ("check", "Model check")):
            self.values[key] = _label()
            self.fields.addRow(label, self.values[key])
        self.links: dict[str, QLineEdit] = {}
        for key, label in (("status_url", "Status link"), ("confirm_url", "Confirmation link")):
            row = QHBoxLayout()
            edit = QLineEdit()
            edit.setReadOnly(True)
            copy = QPushButton("Copy")
            copy.setAccessibleName(f"Copy {label.lower()}")
            copy.clicked.connect(lambda _c=False, e=edit: QGuiApplication.clipboard().setText(e.text()))
            row.addWidget(edit, 1)
            row.addWidget(copy)
            self.links[key] = edit
            self.fields.addRow(label, row)
        self.tabs.addTab(page, "&Details")

    def _build_notes(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Staff notes (never shown to the student)")
        self.notes.setTabChangesFocus(True)
        save = QPushButton("&Save notes")
        save.clicked.connect(lambda: self.notes_saved.emit(self.notes.toPlainText()))
        layout.addWidget(self.notes)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs.addTab(page, "&Notes")

    def _build_history(self) -> None:
        self.history = QTableWidget(0, 4)
        self.history.setHorizontalHeaderLabels(["Time", "Who", "Machine", "What"])
        self.history.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.history.verticalHeader().setVisible(False)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setWordWrap(True)
        self.tabs.addTab(self.history, "&History")

    def _build_files(self) -> None:
        self.files = QListWidget()
        self.tabs.addTab(self.files, "&Files")

    def add_tab(self, widget: QWidget, title: str) -> None:
        """A tab whose content another part of the console fills (the job's emails)."""
        self.tabs.addTab(widget, title)

    # --- showing ---------------------------------------------------------------------------

    def show_job(self, job: Job | None, links: dict[str, str | None] | None = None) -> None:
        self.job = job
        self.setEnabled(job is not None)
        if job is None:
            self.title.setText("Select a job")
            for value in self.values.values():
                value.clear()
            self._set_buttons(())
            return
        marker = "  · NEW" if job.is_new else ""
        self.title.setText(f"{job.folder_name}{marker}")
        v = self.values
        v["reference"].setText(job.short_id.upper())
        v["status"].setText(job.status.value)
        v["student"].setText(job.student_name)
        v["email"].setText(job.student_email)
        v["discipline"].setText(job.discipline)
        v["class"].setText(job.class_number)
        v["print"].setText(f"{job.print_method} · {job.color} · {job.printer}")
        v["file"].setText(f"{job.original_filename} ({job.file_size / 1_048_576:.2f} MB)")
        v["submitted"].setText(job.submitted_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z"))
        v["quote"].setText(f"${job.cost} · {job.weight_g} g · {job.print_time_h} h · {job.material}"
                           if job.cost is not None else "not quoted yet")
        v["paid"].setText(f"${job.amount_paid}" if job.amount_paid is not None else "")
        v["reasons"].setText("\n".join(job.reject_reasons))
        v["check"].setText(analysis_text(job))
        for key, edit in self.links.items():
            edit.setText((links or {}).get(key) or "")
        if not self.notes.hasFocus():
            self.notes.setPlainText(job.staff_notes)
        self._set_buttons(allowed_actions(job.status))

    def show_events(self, events: Sequence[Event]) -> None:
        self.history.setRowCount(len(events))
        for row, event in enumerate(events):
            when = event.at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")
            what = event.type.replace("_", " ")
            if event.details:
                what += ": " + ", ".join(f"{k}={v}" for k, v in event.details.items())
            for column, text in enumerate((when, event.actor.value, event.machine, what)):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tip(text))
                self.history.setItem(row, column, item)
        for column in range(3):
            self.history.resizeColumnToContents(column)
        self.history.resizeRowsToContents()

    def show_files(self, files: Sequence[tuple[str, int]]) -> None:
        self.files.clear()
        for name, size in files:
            self.files.addItem(f"{name}    ({size / 1024:,.1f} KiB)")

    def _set_buttons(self, allowed: Sequence[Action]) -> None:
        while self.actions_row.count():
            item = self.actions_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons = {}
        if self.job is None:
            return
        made: list[QPushButton] = []
        for text, signal in (("&Open in slicer", self.open_requested),
                             ("Show in &folder", self.folder_requested)):
            button = QPushButton(text)
            button.clicked.connect(signal.emit)
            made.append(button)
            self.buttons[text.replace("&", "")] = button
        for action in BUTTON_ACTIONS:
            if action is (Action.MARK_UNREVIEWED if self.job.is_new else Action.MARK_REVIEWED):
                continue  # only the one that changes something
            if action in allowed:
                button = QPushButton(TRANSITIONS[action].label)
                button.clicked.connect(lambda _c=False, a=action.value: self.action_requested.emit(a))
                made.append(button)
                self.buttons[action.value] = button
        for number, button in enumerate(made):
            self.actions_row.addWidget(button, number // BUTTONS_PER_ROW, number % BUTTONS_PER_ROW)


def analysis_text(job: Job) -> str:
    a = job.analysis
    if not a:
        return "not available"
    x, y, z = a["bbox_mm"]
    lines = [f"{x} × {y} × {z} mm · {a['triangles']:,} triangles · "
             f"{'watertight' if a['watertight'] else 'NOT watertight'} · {a['volume_cm3']} cm³",
             "Fits: " + (", ".join(a["fits"]) if a["fits"] else "no printer")]
    lines += [f"⚠ {w}" for w in a.get("warnings", [])]
    return "\n".join(lines)
