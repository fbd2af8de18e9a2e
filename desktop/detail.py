"""The detail pane: every field of the selected job, its model check, notes, history and files,
and a button for each action its status allows. It shows values; the controller acts."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain.statuses import TRANSITIONS, Action, allowed_actions
from core.domain.values import Event, Job, JobFile
from core.mesh.analysis import estimate_text
from desktop.plain import plain_label, plain_tip
from desktop.style import ALARM

# Shown in the pane's action row; the rest (notes, fields) have their own controls.
BUTTON_ACTIONS = (
    Action.APPROVE, Action.REJECT, Action.CONFIRM_ON_BEHALF, Action.RESEND_CONFIRMATION,
    Action.START_PRINTING, Action.PRINT_FAILED, Action.COMPLETE, Action.PICKED_UP,
    Action.MARK_REVIEWED, Action.MARK_UNREVIEWED, Action.EDIT_FIELDS, Action.OVERRIDE_STATUS,
)


BUTTONS_PER_ROW = 4


def _label(text: str = "") -> QLabel:
    return plain_label(text, selectable=True)  # everything a student typed stays text


class DetailPane(QWidget):
    action_requested = Signal(str)
    open_requested = Signal()
    folder_requested = Signal()
    notes_saved = Signal(str)
    use_file_requested = Signal(str)

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
        self._notes_for: str | None = None  # the job whose notes the editor holds
        self._notes_saved = ""
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
                           ("suggestion", "Slicer says"),
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
        # Scrolls rather than squeezes: a long model check or reason list on a 768-px screen
        # would otherwise be cut off mid-line.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        self.tabs.addTab(scroll, "&Details")

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
        page = QWidget()
        layout = QVBoxLayout(page)
        self.files = QTableWidget(0, 4)
        self.files.setHorizontalHeaderLabels(["File", "What it is", "Size", "What PrintDesk read"])
        self.files.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.files.verticalHeader().setVisible(False)
        self.files.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.files.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.files.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.use_file = QPushButton("&Use this file for the slicer and the quote")
        self.use_file.setEnabled(False)
        self.use_file.clicked.connect(self._use_selected_file)
        self.files.itemSelectionChanged.connect(self._file_selected)
        layout.addWidget(self.files, 1)
        layout.addWidget(self.use_file, 0, Qt.AlignmentFlag.AlignRight)
        self.file_rows: list[JobFile] = []
        self.tabs.addTab(page, "&Files")

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
            self.notes.clear()
            self._notes_for, self._notes_saved = None, ""
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
        v["suggestion"].setText(suggestion_text(job))
        v["suggestion"].setStyleSheet(ALARM if (
            job.quote_suggestion or {}).get("error") else "")
        v["paid"].setText(f"${job.amount_paid}" if job.amount_paid is not None else "")
        v["reasons"].setText("\n".join(job.reject_reasons))
        v["check"].setText(analysis_text(job))
        for key, edit in self.links.items():
            edit.setText((links or {}).get(key) or "")
        same_job = self._notes_for == job.id
        if not (same_job and self.notes_changed()):
            self.notes.setPlainText(job.staff_notes)  # never over what staff are typing
        self._notes_for, self._notes_saved = job.id, job.staff_notes
        self._set_buttons(allowed_actions(job.status))

    def notes_changed(self) -> bool:
        """Notes typed for the job shown and not saved yet."""
        return self._notes_for is not None and self.notes.toPlainText().strip() != (
            self._notes_saved or "").strip()

    def show_events(self, events: Sequence[tuple[Event, str]]) -> None:
        """The history: each event with its plain-English description."""
        self.history.setRowCount(len(events))
        for row, (event, what) in enumerate(events):
            when = event.at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")
            who = {"student": "Student", "staff": "Staff", "system": "PrintDesk"}.get(
                event.actor.value, event.actor.value)
            for column, text in enumerate((when, who, event.machine, what)):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tip(text))
                self.history.setItem(row, column, item)
        for column in range(3):
            self.history.resizeColumnToContents(column)
        self.history.resizeRowsToContents()

    def show_files(self, files: Sequence[JobFile]) -> None:
        self.file_rows = list(files)
        self.files.setRowCount(len(files))
        for row, file in enumerate(files):
            what = ROLES.get(file.role, file.role) + (" · opens in the slicer" if file.authoritative
                                                      else "")
            for column, text in enumerate((file.name, what, f"{file.size / 1024:,.1f} KiB",
                                           file.summary)):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tip(text))
                self.files.setItem(row, column, item)
        self.files.resizeColumnsToContents()
        self._file_selected()

    def _file_selected(self) -> None:
        rows = self.files.selectionModel().selectedRows()
        file = self.file_rows[rows[0].row()] if rows else None
        self.use_file.setEnabled(file is not None and not file.authoritative
                                 and file.role in ("upload", "sliced", "other"))

    def _use_selected_file(self) -> None:
        rows = self.files.selectionModel().selectedRows()
        if rows:
            self.use_file_requested.emit(self.file_rows[rows[0].row()].name)

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


ROLES = {"upload": "the student's model", "sliced": "sliced file", "thumbnail": "picture",
         "metadata": "PrintDesk's record", "other": "other file"}


def suggestion_text(job: Job) -> str:
    suggested = job.quote_suggestion or {}
    if suggested.get("error"):
        return f"The automatic estimate failed: {suggested['error']}"
    return str(suggested.get("text", "nothing yet (no sliced file, no estimate)"))


def analysis_text(job: Job) -> str:
    a = job.analysis
    if not a:
        return "not available"
    x, y, z = a["bbox_mm"]
    lines = [f"{x} × {y} × {z} mm · {a['triangles']:,} triangles · "
             f"{'watertight' if a['watertight'] else 'NOT watertight'} · {a['volume_cm3']} cm³",
             "Fits: " + (", ".join(a["fits"]) if a["fits"] else "no printer")]
    estimate = estimate_text(a)
    if estimate:
        lines.append(f"Estimate the student saw: {estimate} (material and minimum only)")
    lines += [f"⚠ {w}" for w in a.get("warnings", [])]
    return "\n".join(lines)
