"""The console and the students' intake: it says when none answers, starts one in the background
on request, and quitting the console (the window, or `printdesk` itself) leaves it serving."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from core.config import Config
from core.console.services import ConsoleServices
from core.desk import open_desk
from desktop.app import make_app
from desktop.window import MainWindow
from printdesk import cli
from tests.console_helpers import screenshot, unlock
from tests.intake_procs import (
    healthz,
    intakes_serving,
    lab_folder,
    other_program,
    start_intake,
    stop_intakes,
)

START_MS = 90_000  # a fresh interpreter importing Flask, numpy and trimesh on a busy 2-core PC


@pytest.fixture
def lab(tmp_path: Path, template_data_dir: Path) -> Iterator[Config]:
    config = lab_folder(template_data_dir, tmp_path / "data")
    yield config
    stop_intakes(config.data_dir)  # whoever started them, whatever the test's outcome


def start_from_banner(qtbot, win: MainWindow) -> int:
    """Unlock, wait for the offer, click "Start in the background"; the intake's process id."""
    status = win.intake_status
    unlock(qtbot, win)
    qtbot.waitUntil(lambda: status.banner.isVisible(), timeout=10_000)
    qtbot.mouseClick(status.background_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.last_start is not None, timeout=START_MS)
    assert status.last_start.started, status.last_start.message
    assert status.last_start.pid is not None
    return status.last_start.pid


def test_the_console_says_no_intake_answers_and_starts_one_that_outlives_it(qtbot, lab) -> None:
    desk = open_desk(lab)
    make_app([])
    win = MainWindow(desk, ConsoleServices(desk, detected=[]), live_interval=0.2)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    status = win.intake_status
    # Visible while locked too: the status bar says it before anyone signs in.
    qtbot.waitUntil(lambda: status.label.text() == "Intake: not running", timeout=10_000)
    try:
        unlock(qtbot, win)
        qtbot.waitUntil(lambda: status.banner.isVisible())
        text = status.text.text()
        assert f"nothing answers at http://127.0.0.1:{lab.intake.port}/" in text
        assert "students cannot submit models" in text
        assert status.background_button.isVisible() and status.background_button.isEnabled()
        screenshot(win, "console-intake-not-running.png")

        pid = start_from_banner(qtbot, win)
        assert healthz(lab) == {"status": "ok", "database": "ok", "storage": "ok", "disk": "ok"}
        assert "keeps running when the console closes" in status.last_start.message
        qtbot.waitUntil(lambda: not status.banner.isVisible(), timeout=10_000)
        assert status.label.text() == "Intake: running"
        assert "started in the background" in win.statusBar().currentMessage()
        if hasattr(os, "getsid"):  # its own session: the console's terminal closing is no harm
            assert os.getsid(pid) != os.getsid(0)
    finally:
        win.close()
        desk.close()
        gc.collect()
    assert psutil.pid_exists(pid) and healthz(lab) is not None  # still serving students


def test_a_start_that_fails_shows_the_intakes_own_words(qtbot, tmp_path, template_data_dir
                                                        ) -> None:
    with other_program() as port:
        config = lab_folder(template_data_dir, tmp_path / "data", port)
        desk = open_desk(config)
        make_app([])
        win = MainWindow(desk, ConsoleServices(desk, detected=[]), live_interval=0.2)
        qtbot.addWidget(win)
        win.show()
        status = win.intake_status
        try:
            unlock(qtbot, win)
            qtbot.waitUntil(lambda: status.banner.isVisible(), timeout=10_000)
            assert "another program uses it" in status.text.text()
            qtbot.mouseClick(status.background_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: status.last_start is not None, timeout=START_MS)
            qtbot.waitUntil(lambda: status.background_button.isEnabled())  # may be tried again
            text = status.text.text()
            assert "The intake stopped at once (exit code 3)" in text
            assert "Address already in use" in text and "Traceback" not in text
            assert status.label.text() == "Intake: not running" and status.banner.isVisible()
            screenshot(win, "console-intake-start-failed.png")
        finally:
            win.close()
            desk.close()
            stop_intakes(config.data_dir)
            gc.collect()


def run_printdesk(qtbot, config: Config, drive: Callable[[MainWindow], None]) -> int:
    """`printdesk --data DIR` in this process (its real cmd_default and app.exec()), with
    `drive(window)` acting as staff once the console shows; the console is then closed."""
    errors: list[BaseException] = []
    app = make_app([])

    def act() -> None:
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, act)
            return
        try:
            drive(windows[0])
        except BaseException as exc:
            errors.append(exc)
        finally:
            windows[0].close()  # the last window: app.exec() returns, as when staff quit

    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(app.quit)  # never hang the suite if the window did not close
    guard.start(START_MS + 60_000)
    QTimer.singleShot(0, act)
    try:
        code = cli.main(["--data", str(config.data_dir)])
    finally:
        guard.stop()
        gc.collect()
    if errors:
        raise errors[0]
    return code


def test_quitting_printdesk_leaves_the_intake_it_started_serving(qtbot, lab) -> None:
    started: list[int] = []
    code = run_printdesk(qtbot, lab, lambda win: started.append(start_from_banner(qtbot, win)))
    assert code == 0 and started
    # Before, `printdesk` stopped the intake when its console closed; now it stays up.
    assert psutil.pid_exists(started[0])
    assert healthz(lab) is not None
    assert [p.pid for p in intakes_serving(lab.data_dir)] == started


def test_an_intake_already_serving_is_shown_running_and_survives_the_console(qtbot, lab) -> None:
    intake = start_intake(lab)  # as a service would have
    seen: list[str] = []

    def look(win: MainWindow) -> None:
        status = win.intake_status
        qtbot.waitUntil(lambda: status.label.text() == "Intake: running", timeout=10_000)
        unlock(qtbot, win)
        seen.append(status.label.text())
        assert not status.banner.isVisible()

    try:
        assert run_printdesk(qtbot, lab, look) == 0
        assert seen == ["Intake: running"]
        assert intake.poll() is None and healthz(lab) is not None
        assert [p.pid for p in intakes_serving(lab.data_dir)] == [intake.pid]  # no second one
    finally:
        intake.terminate()
        intake.wait(timeout=30)
