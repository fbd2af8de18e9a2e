"""Whether the students' intake answers, shown in the console, with the offer to start one.

The console never owns the intake: it only says when none answers (a banner above the queue and
a red word in the status bar, re-checked every half minute) and offers to start the lab PC's
service, when one is installed, or an intake in the background, which keeps running after the
console closes. Every check and start runs through the window's TaskRunner (core/console/
intake_*.py do the work); the outcome, or the intake's own words on why it stopped, is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QPushButton

from core.config import Config
from core.console.intake_launch import IntakeStart, start_in_background
from core.console.intake_probe import IntakeState, intake_state
from core.console.intake_service import IntakeService, find_service, start_service
from desktop.plain import plain_label, plain_tip
from desktop.style import ALARM
from desktop.tasks import TaskRunner

CHECK_MS = 30_000
BANNER = ("#intakeBanner { background: #fff3cd; border: 1px solid #e0c36a; border-radius: 6px; }"
          " #intakeBanner QLabel { color: #4d3800; }")


class IntakeStatus(QObject):
    def __init__(self, window: QMainWindow, runner: TaskRunner, config: Config) -> None:
        super().__init__(window)
        self.window, self.runner, self.config = window, runner, config
        self.state: IntakeState | None = None
        self.service: IntakeService | None = None
        self.last_start: IntakeStart | None = None
        self._asking = self._starting = False

        self.banner = QFrame()
        self.banner.setObjectName("intakeBanner")
        self.banner.setStyleSheet(BANNER)
        self.text = plain_label(selectable=True)  # paths and commands staff may copy
        self.service_button = QPushButton("Start the &service")
        self.background_button = QPushButton("Start in the &background")
        self.background_button.setToolTip(plain_tip(
            "Starts `printdesk intake` for this data folder as a process of its own: it keeps "
            "serving students after the console closes, until this PC restarts."))
        self.check_button = QPushButton("Check again")
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.text, 1)
        for button in (self.service_button, self.background_button, self.check_button):
            row.addWidget(button)
        self.banner.hide()
        self.label: QLabel = plain_label(wrap=False)
        self.label.setText("Intake: checking…")

        self.service_button.clicked.connect(self.start_service)
        self.background_button.clicked.connect(self.start_background)
        self.check_button.clicked.connect(self.check)
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        self.check()

    # --- checking ---------------------------------------------------------------------------

    def check(self) -> None:
        if self._asking or self._starting:
            return
        self._asking = True
        self.runner.run(self._ask, success=self._answered, failure=self._not_asked)

    def _ask(self) -> tuple[IntakeState, IntakeService | None]:
        """Worker thread: the intake's state, and the service to offer when it is down."""
        state = intake_state(self.config)
        return state, (None if state.answering else find_service())

    def _answered(self, answer: tuple[IntakeState, IntakeService | None]) -> None:
        self._asking = False
        self.state, self.service = answer
        self._show()

    def _not_asked(self, error: BaseException) -> None:
        self._asking = False
        self.label.setText("Intake: unknown")
        self.label.setToolTip(plain_tip(f"Could not check the intake: {error}"))

    def _show(self) -> None:
        state, service = self.state, self.service
        if state is None:
            return
        if state.answering:
            self.banner.hide()
            self.label.setText("Intake: on another PC" if state.elsewhere else "Intake: running")
            self.label.setToolTip(plain_tip(state.detail))
            self.label.setStyleSheet("")
            return
        self.label.setText("Intake: not running")
        self.label.setToolTip(plain_tip(state.detail))
        self.label.setStyleSheet(ALARM)
        lines = [state.detail]
        if service is not None and service.running:
            lines.append(f"The {service.manager} service {service.name} is running but does not "
                         "answer here: it may serve another data folder or port.")
        elif service is not None:
            lines.append(f"This PC has the intake's service ({service.name}): start it, or "
                         "start an intake in the background for this console's data folder.")
        else:
            lines.append("Start one in the background: it keeps running when the console "
                         "closes (until this PC restarts; install the service for that).")
        if self.last_start is not None and not self.last_start.started:
            lines.append(self.last_start.message)
        self.text.setText("\n".join(lines))
        self.service_button.setVisible(service is not None and not service.running)
        if service is not None:
            self.service_button.setToolTip(plain_tip(
                f"Asks {service.manager} to start {service.name}. Without the rights for it, "
                f"run this in a terminal: {service.by_hand}"))
        self._enable(True)
        self.banner.show()

    # --- starting ---------------------------------------------------------------------------

    def _enable(self, on: bool) -> None:
        for button in (self.service_button, self.background_button, self.check_button):
            button.setEnabled(on)

    def _starting_now(self, text: str) -> None:
        self._starting = True
        self._enable(False)
        self.text.setText(text)
        self.label.setText("Intake: starting…")

    def start_background(self) -> None:
        if self._starting:
            return
        self._starting_now("Starting the intake in the background…")
        self.runner.run(lambda: start_in_background(self.config), success=self._started,
                        failure=self._start_failed)

    def start_service(self) -> None:
        service = self.service
        if self._starting or service is None:
            return
        self._starting_now(f"Asking {service.manager} to start {service.name}…")
        self.runner.run(lambda: start_service(service, self.config), success=self._started,
                        failure=self._start_failed)

    def _started(self, result: IntakeStart) -> None:
        self._starting = False
        self.last_start = result
        if result.started:
            self.window.statusBar().showMessage(result.message, 15_000)
        if result.state is not None:
            self.state = result.state
        self._show()
        if not result.started and result.state is None:
            self._enable(True)
        self.check()  # the service offered may have changed too

    def _start_failed(self, error: BaseException) -> None:
        self._started(IntakeStart(False, f"The intake could not be started: {error}"))


def install(window: QMainWindow) -> IntakeStatus:
    """Put the intake's banner above the queue and its state in the status bar."""
    status = IntakeStatus(window, window.runner, window.desk.config)  # type: ignore[attr-defined]
    layout = window.workspace.layout()  # type: ignore[attr-defined]
    layout.insertWidget(1, status.banner)  # below the tab bar, above the refusal banner
    window.statusBar().addPermanentWidget(status.label)
    window.intake_status = status  # type: ignore[attr-defined]
    return status
