"""The action dialogs: each collects what its action needs and is the action's confirmation.

They only collect and pre-check input; the workflow service re-checks everything and its
ValidationError messages are shown if it refuses.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from core.config import Config
from core.domain import defaults, pricing
from core.domain.statuses import Status
from core.domain.values import Job
from desktop.plain import plain_label
from desktop.style import ALARM


def confirm(parent: QWidget, title: str, text: str, ok_text: str = "OK") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(ok)
    box.exec()
    accepted = box.clickedButton() is ok
    box.deleteLater()
    return accepted


class _Dialog(QDialog):
    """A form, a line for problems, and OK/Cancel with OK named after the action."""

    def __init__(self, parent: QWidget | None, title: str, ok_text: str, intro: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        if intro:
            layout.addWidget(plain_label(intro))
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.problem = plain_label()
        self.problem.setObjectName("problem")
        self.problem.setStyleSheet(ALARM)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)


class ApproveDialog(_Dialog):
    def __init__(self, parent: QWidget | None, config: Config, job: Job) -> None:
        super().__init__(parent, f"Approve {job.short_id.upper()}", "&Approve and send quote",
                         f"Quote {job.student_name}'s model. The student must confirm the cost "
                         "before it is printed.")
        self.config = config
        suggested = job.quote_suggestion or {}
        self.weight = QLineEdit(str(job.weight_g or suggested.get("weight_g") or ""))
        self.weight.setPlaceholderText("grams, e.g. 47.3")
        self.hours = QLineEdit(str(job.print_time_h or suggested.get("print_time_h") or ""))
        self.hours.setPlaceholderText("hours, e.g. 2.1 (rounded up to the next 0.5 h)")
        self.material = QComboBox()
        self.material.addItems([m.name for m in config.methods])
        self.material.setCurrentText(job.material or job.print_method)
        self.printer = QComboBox()
        self._fill_printers(job.printer)
        self.cost = plain_label()
        self.cost.setObjectName("cost")
        self.source = plain_label(
            f"From {suggested['text']}" if job.weight_g is None and suggested.get("text")
            else "")
        self.source.setObjectName("source")
        if self.source.text():
            self.form.addRow("", self.source)
        self.form.addRow("&Weight (g)", self.weight)
        self.form.addRow("Print &time (h)", self.hours)
        self.form.addRow("&Material", self.material)
        self.form.addRow("&Printer", self.printer)
        self.form.addRow("Cost", self.cost)
        for edit in (self.weight, self.hours):
            edit.textChanged.connect(self._update)
        self.material.currentTextChanged.connect(lambda _t: (self._fill_printers(None),
                                                             self._update()))
        self.printer.currentTextChanged.connect(self._update)
        self._update()

    def _fill_printers(self, keep: str | None) -> None:
        current = keep or self.printer.currentText()
        self.printer.blockSignals(True)
        self.printer.clear()
        names = [p.name for p in self.config.printers_for(self.material.currentText())]
        self.printer.addItems(names)
        if current in names:
            self.printer.setCurrentText(current)
        self.printer.blockSignals(False)

    def _update(self) -> None:
        try:
            q = pricing.quote(self.config, self.material.currentText(), self.printer.currentText(),
                              self.weight.text(), self.hours.text())
        except ValueError as exc:
            self.cost.setText(f"— ({exc})")
            self.ok.setEnabled(False)
            return
        minimum = pricing.money(self.config.pricing.minimum)
        text = f"${q.total}  ({q.weight_g} g, {q.hours_billed} h billed)"
        if q.minimum_applied:
            text += f"\nMinimum charge: ${q.subtotal} is below ${minimum}, so ${minimum} applies."
        self.cost.setText(text)
        self.ok.setEnabled(True)

    def values(self) -> dict[str, str]:
        return {"weight_g": self.weight.text(), "print_time_h": self.hours.text(),
                "material": self.material.currentText(), "printer": self.printer.currentText()}


class RejectDialog(_Dialog):
    def __init__(self, parent: QWidget | None, job: Job) -> None:
        super().__init__(parent, f"Reject {job.short_id.upper()}", "&Reject job",
                         "Tick every reason that applies; the student receives them.")
        self.boxes: list[QCheckBox] = []
        for reason in defaults.REJECT_REASONS:
            box = QCheckBox(reason)
            box.toggled.connect(self._update)
            self.boxes.append(box)
            self.form.addRow(box)
        self.other = QPlainTextEdit()
        self.other.setPlaceholderText("Other reason (optional), in words the student understands")
        self.other.setTabChangesFocus(True)
        self.other.setFixedHeight(70)
        self.other.textChanged.connect(self._update)
        self.form.addRow("&Other", self.other)
        self._update()

    def reasons(self) -> list[str]:
        chosen = [b.text() for b in self.boxes if b.isChecked()]
        extra = self.other.toPlainText().strip()
        return [*chosen, extra] if extra else chosen

    def _update(self) -> None:
        self.ok.setEnabled(bool(self.reasons()))
        self.show_problem("" if self.reasons() else "Give at least one reason.")


class TextDialog(_Dialog):
    """One required line: a note (print failed, confirm on behalf) or an amount (picked up)."""

    def __init__(self, parent: QWidget | None, title: str, ok_text: str, label: str,
                 intro: str = "", initial: str = "", placeholder: str = "") -> None:
        super().__init__(parent, title, ok_text, intro)
        self.edit = QLineEdit(initial)
        self.edit.setPlaceholderText(placeholder)
        self.form.addRow(label, self.edit)
        self.edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.ok.setEnabled(bool(initial.strip()))

    def text(self) -> str:
        return self.edit.text().strip()


class OverrideDialog(_Dialog):
    """Move a job out of the usual rules; into Pending only with a quote (the student is asked
    to confirm a cost), so the dialog asks for one when the job has none."""

    def __init__(self, parent: QWidget | None, job: Job, config: Config | None = None) -> None:
        super().__init__(parent, f"Override status of {job.short_id.upper()}", "&Override",
                         f"Move the job out of {job.status.value} without the usual rules. The "
                         "reason is kept in the job's history.")
        self.job, self.config = job, config
        self.status = QComboBox()
        self.status.addItems([s.value for s in Status if s is not job.status])
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why the usual workflow does not apply")
        self.notify = QCheckBox("Tell the student by email (when email is set up)")
        self.weight = QLineEdit()
        self.weight.setPlaceholderText("grams: Pending needs a quote")
        self.hours = QLineEdit()
        self.hours.setPlaceholderText("hours")
        self.form.addRow("&New status", self.status)
        self.form.addRow("&Reason", self.reason)
        self.form.addRow("Quote &weight (g)", self.weight)
        self.form.addRow("Quote &time (h)", self.hours)
        self.form.addRow(self.notify)
        for edit in (self.reason, self.weight, self.hours):
            edit.textChanged.connect(lambda _t: self._update())
        self.status.currentTextChanged.connect(lambda _t: self._update())
        self._update()

    def needs_quote(self) -> bool:
        return self.status.currentText() == Status.PENDING.value and self.job.cost is None

    def _update(self) -> None:
        quote = self.needs_quote()
        for edit in (self.weight, self.hours):
            edit.setEnabled(quote)
        missing = quote and not (self.weight.text().strip() and self.hours.text().strip())
        self.ok.setEnabled(bool(self.reason.text().strip()) and not missing)
        self.show_problem("Pending means the student confirms a cost: give the quote's weight "
                          "and print time." if missing else "")

    def values(self) -> tuple[str, str, bool, dict[str, str] | None]:
        quote = None
        if self.needs_quote():
            quote = {"weight_g": self.weight.text().strip(),
                     "print_time_h": self.hours.text().strip(),
                     "material": self.job.print_method, "printer": self.job.printer}
        return (self.status.currentText(), self.reason.text().strip(), self.notify.isChecked(),
                quote)
