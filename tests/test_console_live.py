"""The console notices other processes' work by itself, and launches slicers without freezing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

from core.console.settings import ConsoleSettings
from tests.console_helpers import caught_up, select, unlock
from tests.helpers import ROOT, model, submit

SUBMIT_SCRIPT = """
import sys
from pathlib import Path
from core.config import load_config
from core.desk import open_desk
from core.domain.values import SubmissionForm, Upload
desk = open_desk(load_config(data_dir=sys.argv[1], env={}))
form = SubmissionForm("Remote Student", "remote@example.edu", "Art", "ART 1000", "Filament",
                      "Blue", "Prusa MK4S", "yes")
desk.workflow.submit(form, Upload(Path(sys.argv[2]), "remote.stl"))
desk.close()
"""


def test_a_submission_from_another_process_appears_without_a_click(qtbot, window, desk) -> None:
    submit(desk)
    unlock(qtbot, window)
    assert window.model.rowCount() == 1
    subprocess.run([sys.executable, "-c", SUBMIT_SCRIPT, str(desk.config.data_dir),
                    str(model("20mm-xyz-cube.stl"))], cwd=ROOT, check=True, timeout=60)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=5000)
    assert window.tabs.tabText(0) == "Uploaded (2)"
    assert window.notifier.notified == ["New submission from Remote Student"]
    assert window.windowTitle() == "PrintDesk · 2 new"
    assert window.updated_label.text().startswith("Checked ")


def test_own_actions_update_one_row_and_their_echo_reloads_nothing(qtbot, window, desk) -> None:
    """An approval updates the queue from the action's result; the watcher's hint that follows
    (the folder rename) finds nothing newer, so the queue is not reloaded."""
    jobs = [submit(desk, student_email=f"s{n}@example.edu").job for n in range(3)]
    unlock(qtbot, window)
    resets: list[int] = []
    window.model.modelReset.connect(lambda: resets.append(1))
    select(qtbot, window, jobs[1].id)
    window.controller._write(jobs[1], lambda v: desk.workflow.approve(
        jobs[1].id, v, weight_g="10", print_time_h="1", material="Filament",
        printer="Prusa MK4S"), window.controller.changed.emit, lambda e: None)
    qtbot.waitUntil(lambda: window.model.row_of(jobs[1].id) is None)  # left the Uploaded tab
    assert window.model.rowCount() == 2
    caught_up(qtbot, window)  # the echo came, and more refreshes after it
    assert resets == []  # no full reload, before or after the echo
    assert window.tabs.tabText(1) == "Pending (1)" and window.tabs.tabText(0) == "Uploaded (2)"


def test_the_status_bar_says_whether_a_worker_is_running(qtbot, window, desk) -> None:
    from core.worker.tasks import make_worker

    unlock(qtbot, window)
    assert window.worker_label.text() == "No worker running"
    worker = make_worker(desk)
    thread = worker.start_thread()
    try:
        assert worker.active.wait(10)
        window.refresh()
        qtbot.waitUntil(lambda: window.worker_label.text() == f"Worker: on {desk.machine}",
                        timeout=5000)
    finally:
        worker.stop()
        thread.join(10)


def fake_slicer(tmp_path: Path) -> tuple[Path, Path]:
    """A 'slicer' that records its arguments, then lingers like a real GUI program would."""
    record = tmp_path / "argv.txt"
    script = tmp_path / "fake-slicer"
    # Each start appends a line: a double-click that starts the slicer twice shows as two.
    script.write_text(f"#!{sys.executable}\nimport sys, time\n"
                      f"open({str(record)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
                      "time.sleep(30)\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_double_click_opens_the_job_file_in_the_configured_slicer(qtbot, window, desk, services,
                                                                   tmp_path) -> None:
    script, record = fake_slicer(tmp_path)
    services.settings = ConsoleSettings(slicers={".stl": str(script)})
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    index = window.table.currentIndex()
    rect = window.table.visualRect(index)
    # A real double-click is press, release, then the double-click event on the same cell.
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: (record.exists() and bool(record.read_text()))
                    or window.banner.isVisible(), timeout=10_000)
    assert not window.banner.isVisible(), window.banner.text()
    expected = desk.store.root / "Uploaded" / job.folder_name / job.upload_file
    qtbot.wait(1500)  # time for a second start, were there one
    assert record.read_text().splitlines() == [str(expected)]  # started once
    # The slicer is still running (it sleeps 30 s) and the window keeps processing events:
    # the console never waits for the program it started.
    seen = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= seen + 5, timeout=3000)
    assert subprocess.run(["pgrep", "-f", str(script)], capture_output=True).returncode == 0
    timer.stop()
    qtbot.waitUntil(lambda: "Opened" in window.statusBar().currentMessage())
    # Opening the file counts as reviewing it.
    qtbot.waitUntil(lambda: not desk.queries.job(job.id).is_new)
    subprocess.run(["pkill", "-f", str(script)], check=False)


def test_enter_on_a_row_opens_it_too(qtbot, window, desk, services, tmp_path) -> None:
    script, record = fake_slicer(tmp_path)
    services.settings = ConsoleSettings(slicers={".stl": str(script)})
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: record.exists() and bool(record.read_text()), timeout=10_000)
    assert record.read_text().strip().endswith(job.upload_file)
    subprocess.run(["pkill", "-f", str(script)], check=False)


def test_missing_slicer_and_missing_file_say_what_to_do(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    window.open_in_slicer()
    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert "No slicer" in window.banner.text() and "Settings" in window.banner.text()
    os.remove(desk.store.root / "Uploaded" / job.folder_name / job.upload_file)
    window.open_in_slicer()
    qtbot.waitUntil(lambda: "missing" in window.banner.text())
