"""The status bar's "Last backup: …" (a warning when older than [backup] warn_days, or never
made) and Tools → Back up now, run off the UI thread."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow

from core.console.backup_service import BackupResult, BackupService, BackupState
from desktop.plain import plain_label
from desktop.style import ALARM

CHECK_MS = 60_000


def when(at: datetime, tz: ZoneInfo, now: datetime | None = None) -> str:
    local, today = at.astimezone(tz), (now or datetime.now(UTC)).astimezone(tz).date()
    days = (today - local.date()).days
    if days <= 0:
        return f"today {local:%H:%M}"
    if days == 1:
        return f"yesterday {local:%H:%M}"
    return f"{days} days ago"


class BackupStatus:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.service = BackupService(window.desk)
        self.label: QLabel = plain_label()
        self.label.setObjectName("backupLabel")
        window.statusBar().addPermanentWidget(self.label)
        self.state: BackupState | None = None
        self.busy = False
        self.timer = QTimer(window)
        self.timer.timeout.connect(self.check)
        self.timer.start(CHECK_MS)
        self.action = QAction("&Back up now", window)
        self.action.setObjectName("backupAction")
        self.action.triggered.connect(self.back_up_now)
        window.tools_menu.addAction(self.action)
        self.check()

    def check(self) -> None:
        self.window.runner.run(self.service.state, success=self.show, failure=lambda _e: None)

    def show(self, state: BackupState) -> None:
        self.state = state
        tz = self.window.services.tz
        text = "Last backup: " + (when(state.newest, tz) if state.newest else "never")
        failed = state.last is not None and not state.last.ok
        if failed:
            text += " (the last attempt failed)"
        self.label.setText(text)
        warn = state.stale() or failed
        self.label.setStyleSheet(ALARM if warn else "")
        tip = (f"Older than {state.warn_days} days: run Tools → Back up now, and check the "
               "worker's schedule ([backup] in the configuration)." if state.stale() else "")
        if failed and state.last is not None:
            tip = f"The last backup failed: {state.last.error}"
        self.label.setToolTip(tip)

    def back_up_now(self) -> None:
        if self.busy or self.window.locked:
            return
        self.busy = True
        self.action.setEnabled(False)
        self.window.statusBar().showMessage("Backing up…")
        self.window.runner.run(self.service.back_up_now, success=self.done, failure=self.failed,
                               write=True)

    def done(self, result: BackupResult) -> None:
        self.busy = False
        self.action.setEnabled(True)
        self.window.statusBar().showMessage(
            f"Backed up {result.jobs} jobs ({result.size / 2**20:.1f} MB) to {result.path}", 20_000)
        self.check()

    def failed(self, error: object) -> None:
        self.busy = False
        self.action.setEnabled(True)
        self.window.statusBar().showMessage(f"The backup failed: {error}", 30_000)
        self.check()


def install(window: QMainWindow) -> BackupStatus:
    window.backup_status = BackupStatus(window)  # type: ignore[attr-defined]
    return window.backup_status  # type: ignore[attr-defined]
