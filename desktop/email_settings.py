"""Settings → Email: the lab's SMTP server, written where the lab's settings live
(printdesk.toml; the password into its own owner-only file, never shown back), and a test
email sent from the values on screen before they are saved."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.config.sections import Smtp
from core.desk import Desk
from core.domain.errors import ConfigError, PrintDeskError, ValidationError
from core.mail.outbox import send_test
from core.mail.settings import checked, password_of, save_smtp, smtp_settings
from desktop.plain import plain_label
from desktop.tasks import TaskRunner

TEXT_FIELDS = (("host", "&Server", "smtp.office365.com"),
               ("username", "&Login", "fablab@example.edu"),
               ("from_address", "&From address", "fablab@example.edu"),
               ("from_name", "From &name", "the lab's name"),
               ("reply_to", "&Reply-To", "optional"),
               ("ca_file", "Extra &CA file", "optional: a campus relay's own certificate"))


class EmailSettings(QWidget):
    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner = desk, runner
        current = smtp_settings(desk.config)
        self.stored_password = bool(current.password or current.password_file)
        outer = QVBoxLayout(self)
        # Above the form, not in a form row: a wrapped label in a form row gets clipped.
        outer.addWidget(plain_label("How the lab's emails leave (quotes, rejections, pickup "
                                    "notices), for every PC. Office 365: server "
                                    "smtp.office365.com, port 587, STARTTLS, the lab's mailbox "
                                    "as login and From address."))
        form = QFormLayout()
        outer.addLayout(form)
        self.edits: dict[str, QLineEdit] = {}
        for key, label, hint in TEXT_FIELDS:
            edit = QLineEdit(getattr(current, key))
            edit.setPlaceholderText(hint)
            self.edits[key] = edit
            form.addRow(label, edit)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(current.port)
        self.security = QComboBox()
        self.security.addItems(["starttls", "ssl", "none"])
        self.security.setCurrentText(current.security)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("stored: leave empty to keep it" if self.stored_password
                                         else "the mailbox's password")
        form.insertRow(1, "&Port", self.port)
        form.insertRow(2, "Securit&y", self.security)
        form.insertRow(4, "&Password", self.password)
        test_row = QHBoxLayout()
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText("your own address")
        self.test_button = QPushButton("Send &test email")
        self.test_button.clicked.connect(self.send_test)
        test_row.addWidget(self.test_to, 1)
        test_row.addWidget(self.test_button)
        form.addRow("Test to", test_row)
        self.result = plain_label()
        outer.addWidget(self.result)
        outer.addStretch(1)
        self.loaded = self._values()

    def _values(self) -> dict[str, Any]:
        values: dict[str, Any] = {k: e.text().strip() for k, e in self.edits.items()}
        values.update(port=self.port.value(), security=self.security.currentText())
        return values

    @property
    def changed(self) -> bool:
        return self._values() != self.loaded or bool(self.password.text())

    def settings(self) -> tuple[Smtp, str | None]:
        """The settings on screen, checked (ValidationError keyed by field), and the new
        password (None: keep the stored one)."""
        current = smtp_settings(self.desk.config)
        smtp = checked({**self._values(), "timeout_s": current.timeout_s,
                        "max_attempts": current.max_attempts})
        return smtp, self.password.text() or None

    def save(self) -> None:
        smtp, password = self.settings()
        save_smtp(self.desk.config, smtp, password)

    def send_test(self) -> None:
        try:
            smtp, typed = self.settings()
        except ValidationError as exc:
            self.result.setText("\n".join(exc.errors.values()))
            return
        to = self.test_to.text().strip() or smtp.from_address
        desk = self.desk
        self.test_button.setEnabled(False)
        self.result.setText(f"Sending a test email to {to}…")

        def work() -> None:
            try:
                password = typed if typed is not None else password_of(
                    desk.config, smtp_settings(desk.config))
            except ConfigError as exc:
                raise PrintDeskError(str(exc)) from exc
            send_test(desk, smtp, password, to)

        self.runner.run(work, success=lambda _r: self._tested(f"Sent to {to}: check its inbox."),
                        failure=lambda e: self._tested(str(e)))

    def _tested(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setText(text)
