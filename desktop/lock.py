"""The lock screen (shared staff password) and the idle timer that brings it back."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from core.desk import Desk
from core.domain.errors import ValidationError
from desktop.style import ALARM
from desktop.tasks import TaskRunner

INPUT_EVENTS = {
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin,
}


class LockScreen(QWidget):
    """Asks for the shared password; on the very first run, asks to set one."""

    unlocked = Signal()

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner = desk, runner
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QWidget()
        box.setObjectName("lockBox")
        box.setMinimumWidth(420)
        box.setMaximumWidth(600)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(12)
        title = QLabel("PrintDesk")
        title.setObjectName("lockTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        lab = QLabel(desk.config.lab.name)
        lab.setTextFormat(Qt.TextFormat.PlainText)
        lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lab.setStyleSheet("font-size: 12pt; color: #461D7C;")
        layout.addWidget(lab)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.hint)
        form = QFormLayout()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Staff password")
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Repeat the password")
        form.addRow("&Password", self.password)
        self.repeat_label = QLabel("&Repeat")
        self.repeat_label.setBuddy(self.repeat)
        form.addRow(self.repeat_label, self.repeat)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ALARM)
        layout.addWidget(self.message)
        self.button = QPushButton("Unlock")
        self.button.setDefault(True)
        layout.addWidget(self.button)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.repeat.returnPressed.connect(self.submit)
        self.first_run = False

    def prepare(self) -> None:
        """Called each time the screen is shown: asks the store whether a password exists."""
        self.password.clear()
        self.repeat.clear()
        self.message.clear()
        self.hint.clear()
        # Until the store answers, nothing can be submitted in the wrong mode.
        self.repeat.hide()
        self.repeat_label.hide()
        self.button.setEnabled(False)
        self.runner.run(self.desk.has_password, success=self._show_mode,
                        failure=lambda e: self._refuse(f"The data folder cannot be read: {e}"))

    def _show_mode(self, has_password: bool) -> None:
        self.first_run = not has_password
        self.button.setEnabled(True)
        self.repeat.setVisible(self.first_run)
        self.repeat_label.setVisible(self.first_run)
        self.button.setText("Set password and open" if self.first_run else "Unlock")
        self.hint.setText("First start: choose the shared staff password (at least 8 characters)."
                          if self.first_run else "Locked. Enter the shared staff password.")
        self.password.setFocus()

    def submit(self) -> None:
        if not self.button.isEnabled():
            return  # still asking the store, or already checking a password
        password = self.password.text()
        self.button.setEnabled(False)
        if self.first_run:
            if password != self.repeat.text():
                self._refuse("The two passwords differ.")
                return
            self.runner.run(lambda: self.desk.set_password(password),
                            success=lambda _r: self._accepted(), failure=self._failed, write=True)
        else:
            # The slow hash runs on a worker; the screen stays responsive meanwhile.
            self.runner.run(lambda: self.desk.check_password(password), success=self._checked,
                            failure=self._failed)

    def _checked(self, ok: bool) -> None:
        if ok:
            self._accepted()
        else:
            self._refuse("Wrong password.")

    def _failed(self, error: BaseException) -> None:
        message = "\n".join(error.errors.values()) if isinstance(error, ValidationError) else str(error)
        self._refuse(message)

    def _refuse(self, message: str) -> None:
        self.message.setText(message)
        self.password.selectAll()
        self.password.setFocus()
        self.button.setEnabled(True)

    def _accepted(self) -> None:
        self.password.clear()
        self.repeat.clear()
        self.message.clear()
        self.button.setEnabled(True)
        self.unlocked.emit()


class IdleWatcher(QObject):
    """Emits `idle` after `minutes` without keyboard or mouse input anywhere in the app."""

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle.emit)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        if self.timer.isActive():
            self.timer.start()

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False
