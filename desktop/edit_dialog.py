"""Edit a job's student fields and its quote (a student wrote the wrong class, chose the wrong
colour; the weight was mistyped). Only what changed is sent; the job's history records each
field old → new."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from core.config import Config
from core.domain.values import Job
from desktop.dialogs import _Dialog

TEXTS = (("student_name", "Student &name"), ("student_email", "&Email"),
         ("class_number", "&Class"))


class EditDialog(_Dialog):
    def __init__(self, parent: QWidget | None, config: Config, job: Job) -> None:
        super().__init__(parent, f"Edit {job.short_id.upper()}", "&Save changes",
                         "Correct what the student or staff got wrong. The student is not "
                         "emailed; the job's history keeps every old value.")
        self.config, self.job = config, job
        self.texts: dict[str, QLineEdit] = {}
        for key, label in TEXTS:
            self.texts[key] = QLineEdit(str(getattr(job, key)))
            self.form.addRow(label, self.texts[key])
        self.discipline = self._combo(config.disciplines, job.discipline)
        self.form.addRow("&Discipline", self.discipline)
        self.method = self._combo([m.name for m in config.methods], job.print_method)
        self.color = QComboBox()
        self.printer = QComboBox()
        self.form.addRow("&Method", self.method)
        self.form.addRow("C&olor", self.color)
        self.form.addRow("&Printer", self.printer)
        self.method.currentTextChanged.connect(lambda _t: self._fill())
        self._fill(job.color, job.printer)
        self.weight = QLineEdit("" if job.weight_g is None else str(job.weight_g))
        self.hours = QLineEdit("" if job.print_time_h is None else str(job.print_time_h))
        self.weight.setPlaceholderText("not quoted")
        self.hours.setPlaceholderText("not quoted")
        self.form.addRow("&Weight (g)", self.weight)
        self.form.addRow("Print &time (h)", self.hours)

    @staticmethod
    def _combo(items: object, current: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(list(items))  # type: ignore[call-overload]
        combo.setCurrentText(current)
        return combo

    def _fill(self, color: str | None = None, printer: str | None = None) -> None:
        method = self.config.method(self.method.currentText())
        keep_color, keep_printer = color or self.color.currentText(), \
            printer or self.printer.currentText()
        self.color.clear()
        self.printer.clear()
        if method is not None:
            self.color.addItems(list(method.colors))
            self.printer.addItems([p.name for p in self.config.printers_for(method.name)])
        self.color.setCurrentText(keep_color)
        self.printer.setCurrentText(keep_printer)

    def changes(self) -> dict[str, str]:
        """Only the fields staff changed (the service checks them all, with the job's others)."""
        values = {key: edit.text().strip() for key, edit in self.texts.items()}
        values.update(discipline=self.discipline.currentText(),
                      print_method=self.method.currentText(), color=self.color.currentText(),
                      printer=self.printer.currentText())
        changed = {k: v for k, v in values.items() if v != str(getattr(self.job, k))}
        for key, edit in (("weight_g", self.weight), ("print_time_h", self.hours)):
            before = getattr(self.job, key)
            if edit.text().strip() != ("" if before is None else str(before)):
                changed[key] = edit.text().strip()
        if ("weight_g" in changed or "print_time_h" in changed) and self.job.material is None:
            changed["material"] = self.method.currentText()
        return changed
