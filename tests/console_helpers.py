"""Helpers for the console tests: open and unlock a real window, answer modal dialogs."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from core.console.services import ConsoleServices
from core.desk import Desk
from desktop.app import make_app
from desktop.window import MainWindow
from tests.helpers import PASSWORD, ROOT

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def services(desk: Desk) -> ConsoleServices:
    return ConsoleServices(desk, detected=[])


@pytest.fixture
def window(qtbot, desk: Desk, services: ConsoleServices) -> Iterator[MainWindow]:
    make_app([])
    win = MainWindow(desk, services, live_interval=0.2)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    yield win
    win.close()
    # Collect this test's Qt wrappers now, with no worker running, instead of at a random
    # moment inside a later test's event loop (seen crashing there).
    gc.collect()


def unlock(qtbot, win: MainWindow, password: str = PASSWORD) -> None:
    screen = win.lock_screen
    qtbot.waitUntil(lambda: screen.button.isEnabled() and screen.hint.text() != "")
    screen.password.setText(password)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.locked, timeout=10_000)
    qtbot.waitUntil(lambda: win.last_updated is not None and not win._refreshing)


def refreshed(qtbot, win: MainWindow) -> None:
    """Ask for a refresh and wait until it has landed."""
    before = win.last_updated
    win.refresh()
    qtbot.waitUntil(lambda: win.last_updated != before and not win._refreshing)


def on_next_dialog(handler: Callable[[QWidget], None]) -> None:
    """Call `handler(dialog)` as soon as a modal dialog is open (from inside its event loop)."""
    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
        else:
            handler(dialog)
    QTimer.singleShot(0, poll)


def accept_message(dialog: QWidget) -> None:
    assert isinstance(dialog, QMessageBox)
    [ok] = [b for b in dialog.buttons()
            if dialog.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    ok.click()


def caught_up(qtbot, win: MainWindow) -> None:
    """The console has seen every change made so far (by anyone) and is not loading."""
    marker = win.desk.queries.change_marker()
    qtbot.waitUntil(lambda: win.refresher.marker == marker and not win.refresher.busy,
                    timeout=10_000)


def select(qtbot, win: MainWindow, job_id: str) -> None:
    """Show the job's tab and select it; the detail pane holds its full record."""
    status = win.desk.queries.job(job_id).status
    win.tabs.setCurrentIndex(win.tab_statuses.index(status))
    qtbot.waitUntil(lambda: win.model.row_of(job_id) is not None, timeout=10_000)
    assert win.select_job(job_id)
    qtbot.waitUntil(lambda: win.detail.job is not None and win.detail.job.id == job_id,
                    timeout=10_000)


def screenshot(widget: QWidget, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path
