"""The staff console as staff use it: real widgets (offscreen), a real store, real dialogs."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from core.domain.statuses import Status
from desktop.dialogs import ApproveDialog, OverrideDialog, RejectDialog
from tests.console_helpers import (
    accept_message,
    caught_up,
    on_next_dialog,
    refreshed,
    select,
    unlock,
)
from tests.helpers import ROOT, submit


def jobs_in_tab(win) -> int:
    return win.model.rowCount()


def click_action(qtbot, win, action: str) -> None:
    qtbot.waitUntil(lambda: action in win.detail.buttons)
    qtbot.mouseClick(win.detail.buttons[action], Qt.MouseButton.LeftButton)


def wait_status(qtbot, win, desk, job_id: str, status: Status) -> None:
    qtbot.waitUntil(lambda: desk.queries.job(job_id).status is status, timeout=10_000)
    caught_up(qtbot, win)
    assert win.refresher.overview.counts[status] >= 1


def test_lock_screen_refuses_a_wrong_password_then_unlocks(qtbot, window, desk) -> None:
    assert window.locked and window.windowTitle() == "PrintDesk · locked"
    qtbot.waitUntil(lambda: window.lock_screen.hint.text() != "")
    window.lock_screen.password.setText("not the password")
    qtbot.mouseClick(window.lock_screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.lock_screen.message.text() == "Wrong password.")
    assert window.locked
    unlock(qtbot, window)
    assert not window.locked


def test_idle_relocks_and_ctrl_l_locks(qtbot, window) -> None:
    unlock(qtbot, window)
    window.idle.set_minutes(0.002)  # 120 ms
    window.idle.start()
    qtbot.waitUntil(lambda: window.locked, timeout=5000)
    unlock(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.locked)


def test_first_run_asks_to_set_the_password(qtbot, config, tmp_path) -> None:
    from core.console.services import ConsoleServices
    from core.desk import init_desk, open_desk
    from desktop.window import MainWindow

    init_desk(config, None).close()
    desk = open_desk(config)
    win = MainWindow(desk, ConsoleServices(desk, detected=[]))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    screen = win.lock_screen
    qtbot.waitUntil(lambda: screen.repeat.isVisible())
    screen.password.setText("new-lab-pass")
    screen.repeat.setText("different")
    qtbot.keyClick(screen.repeat, Qt.Key.Key_Return)
    assert "differ" in screen.message.text() and win.locked
    screen.repeat.setText("new-lab-pass")
    qtbot.keyClick(screen.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.locked, timeout=10_000)
    assert desk.check_password("new-lab-pass")
    win.close()
    desk.close()


def test_tabs_count_jobs_and_follow_transitions(qtbot, window, desk) -> None:
    jobs = [submit(desk, student_email=f"s{n}@example.edu").job for n in range(3)]
    unlock(qtbot, window)
    assert window.tabs.tabText(0) == "Uploaded (3)" and jobs_in_tab(window) == 3
    assert window.windowTitle() == "PrintDesk · 3 new"
    desk.workflow.reject(jobs[0].id, jobs[0].version, ["Walls too thin"])
    refreshed(qtbot, window)
    assert window.tabs.tabText(0) == "Uploaded (2)" and window.tabs.tabText(6) == "Rejected (1)"
    window.tabs.setCurrentIndex(6)
    qtbot.waitUntil(lambda: jobs_in_tab(window) == 1)  # each tab loads its own rows


def test_search_box_filters_the_queue(qtbot, window, desk) -> None:
    submit(desk, student_name="Ana Silva", student_email="ana@example.edu")
    submit(desk, student_name="Bo Chen", student_email="bo@example.edu", class_number="ENGR 1")
    unlock(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search
    qtbot.keyClicks(window.search, "engr")
    qtbot.waitUntil(lambda: jobs_in_tab(window) == 1)  # the first search loads the index
    assert window.tabs.tabText(0) == "Uploaded (1 of 2)"
    window.search.clear()
    assert jobs_in_tab(window) == 2 and window.tabs.tabText(0) == "Uploaded (2)"


def test_approve_through_its_dialog_end_to_end(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    seen: dict[str, str] = {}

    def fill(dialog) -> None:
        assert isinstance(dialog, ApproveDialog)
        dialog.weight.setText("12")
        dialog.hours.setText("2.1")
        seen["minimum"] = dialog.cost.text()
        dialog.weight.setText("47.3")
        seen["cost"] = dialog.cost.text()
        dialog.ok.click()

    on_next_dialog(fill)
    click_action(qtbot, window, "approve")
    wait_status(qtbot, window, desk, job.id, Status.PENDING)
    assert "Minimum charge" in seen["minimum"] and "$3.00" in seen["minimum"]
    assert seen["cost"].startswith("$4.73")
    fresh = desk.queries.job(job.id)
    assert (fresh.cost, str(fresh.print_time_h)) == (fresh.cost, "2.5") and str(fresh.cost) == "4.73"
    assert desk.store.locate(job.folder_name) == ["Pending"]
    assert [e.type for e in desk.queries.events(job.id)][-1] == "approve"
    assert window.tabs.tabText(1) == "Pending (1)"


def test_reject_needs_a_reason_in_its_dialog(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)

    def fill(dialog) -> None:
        assert isinstance(dialog, RejectDialog)
        assert not dialog.ok.isEnabled()  # no reason yet
        dialog.boxes[1].setChecked(True)
        dialog.other.setPlainText("Supports would fill the inside")
        dialog.ok.click()

    on_next_dialog(fill)
    click_action(qtbot, window, "reject")
    wait_status(qtbot, window, desk, job.id, Status.REJECTED)
    assert desk.queries.job(job.id).reject_reasons == ("Walls too thin",
                                                       "Supports would fill the inside")


def test_cancelled_dialog_changes_nothing(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    on_next_dialog(lambda dialog: dialog.reject())
    click_action(qtbot, window, "approve")
    qtbot.waitUntil(lambda: window.runner.pending == 0)
    assert desk.queries.job(job.id) == job


def test_the_rest_of_the_lifecycle_through_dialogs(qtbot, window, desk) -> None:
    job = submit(desk).job
    job = desk.workflow.approve(job.id, job.version, weight_g="20", print_time_h="1",
                                material="Filament", printer="Prusa MK4S")
    unlock(qtbot, window)
    steps = [
        ("confirm_on_behalf", Status.READY_TO_PRINT, lambda d: d.ok.click()),
        ("start_printing", Status.PRINTING, accept_message),
        ("print_failed", Status.READY_TO_PRINT, lambda d: (d.edit.setText("warped"), d.ok.click())),
        ("start_printing", Status.PRINTING, accept_message),
        ("complete", Status.COMPLETED, accept_message),
        ("picked_up", Status.PAID_PICKED_UP, lambda d: (d.edit.setText("3.00"), d.ok.click())),
    ]
    for action, status, answer in steps:
        select(qtbot, window, job.id)
        on_next_dialog(answer)
        click_action(qtbot, window, action)
        wait_status(qtbot, window, desk, job.id, status)
    types = [e.type for e in desk.queries.events(job.id)]
    assert types[-6:] == ["confirm_on_behalf", "start_printing", "print_failed",
                          "start_printing", "complete", "picked_up"]
    assert desk.store.locate(job.folder_name) == ["PaidPickedUp"]


def test_override_and_notes(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    window.detail.tabs.setCurrentIndex(1)
    window.detail.notes.setPlainText("call the student about supports")
    window.detail.notes_saved.emit(window.detail.notes.toPlainText())
    qtbot.waitUntil(lambda: window.detail.job.staff_notes
                    == "call the student about supports")
    assert desk.queries.job(job.id).staff_notes == "call the student about supports"
    select(qtbot, window, job.id)

    def fill(dialog) -> None:
        assert isinstance(dialog, OverrideDialog)
        dialog.status.setCurrentText("Printing")
        dialog.reason.setText("printed at the open day")
        dialog.ok.click()

    on_next_dialog(fill)
    click_action(qtbot, window, "override_status")
    wait_status(qtbot, window, desk, job.id, Status.PRINTING)


def test_another_process_acting_first_is_refused_and_refreshed(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    script = ("from core.config import load_config; from core.desk import open_desk; "
              f"d = open_desk(load_config(data_dir={str(desk.config.data_dir)!r}, env={{}})); "
              f"d.workflow.reject({job.id!r}, {job.version}, ['duplicate']); d.close()")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)

    def fill(dialog) -> None:
        dialog.weight.setText("30")
        dialog.hours.setText("1")
        dialog.ok.click()

    window.live.stop()  # act on the stale view, as a second PC would
    on_next_dialog(fill)
    click_action(qtbot, window, "approve")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert "changed by someone else" in window.banner.text()
    fresh = desk.queries.job(job.id)
    assert fresh.status is Status.REJECTED and fresh.cost is None
    assert [e.type for e in desk.queries.events(job.id)] == ["submit", "reject"]
    qtbot.waitUntil(lambda: window.tabs.tabText(6) == "Rejected (1)")
    assert window.model.job(job.id) is None  # gone from the Uploaded tab it was shown in


def test_every_action_is_reachable_by_keyboard(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    for name, button in window.detail.buttons.items():
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, name
    opened: list[type] = []
    on_next_dialog(lambda d: (opened.append(type(d)), d.reject()))
    window.detail.buttons["approve"].setFocus()
    qtbot.keyClick(window.detail.buttons["approve"], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: opened == [ApproveDialog])


def test_header_click_sorts_the_queue(qtbot, window, desk) -> None:
    for n, name in enumerate(("Cy Dove", "Ana Silva", "Bo Chen")):
        submit(desk, student_name=name, student_email=f"s{n}@example.edu")
    unlock(qtbot, window)
    header = window.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + QPoint(header.sectionViewportPosition(2) + 20, 10))
    names = [window.model.index(r, 2).data() for r in range(3)]
    assert names in (["Ana Silva", "Bo Chen", "Cy Dove"], ["Cy Dove", "Bo Chen", "Ana Silva"])
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + QPoint(header.sectionViewportPosition(2) + 20, 10))
    assert [window.model.index(r, 2).data() for r in range(3)] == names[::-1]


def test_a_refused_value_is_explained_and_changes_nothing(qtbot, window, desk) -> None:
    job = submit(desk).job
    job = desk.workflow.override_status(job.id, job.version, "Completed", "printed by hand")
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    on_next_dialog(lambda d: (d.edit.setText("-5"), d.ok.click()))
    click_action(qtbot, window, "picked_up")
    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert "cannot be negative" in window.banner.text()
    assert desk.queries.job(job.id) == job


def test_settings_dialog_saves_this_pcs_preferences(qtbot, window, desk, services) -> None:
    from desktop.settings_dialog import SettingsDialog

    unlock(qtbot, window)

    def change(dialog) -> None:
        assert isinstance(dialog, SettingsDialog)
        dialog.zone.setCurrentText("Not/AZone")
        dialog.save()
        assert "time zone" in dialog.problem.text().lower() and dialog.isVisible()
        dialog.zone.setCurrentText("Europe/Berlin")
        dialog.sound.setChecked(False)
        dialog.idle.setValue(3)
        dialog.paths[".form"].setText("/opt/PreForm/PreForm")
        dialog.save()

    on_next_dialog(change)
    window.open_settings()
    assert services.settings.sound is False and services.settings.idle_lock_minutes == 3
    assert services.settings.slicers == {".form": "/opt/PreForm/PreForm"}
    assert not window.notifier.sound_on and window.idle.timer.interval() == 3 * 60_000
    assert str(window.model.tz) == "Europe/Berlin"
    assert (desk.config.data_dir / "console.json").exists()


def test_two_quick_actions_of_this_console_do_not_conflict(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    window.detail.notes_saved.emit("first a note")  # queued on the write worker
    on_next_dialog(lambda d: (d.weight.setText("30"), d.hours.setText("1"), d.ok.click()))
    click_action(qtbot, window, "approve")  # clicked before the note's result came back
    wait_status(qtbot, window, desk, job.id, Status.PENDING)
    assert not window.banner.isVisible()
    assert [e.type for e in desk.queries.events(job.id)] == ["submit", "edit_notes", "approve"]


def test_locking_closes_an_open_dialog_and_the_menus(qtbot, window, desk) -> None:
    job = submit(desk).job
    unlock(qtbot, window)
    select(qtbot, window, job.id)

    def lock_while_open(dialog) -> None:
        window.lock()  # the idle timer firing while the dialog waits

    on_next_dialog(lock_while_open)
    click_action(qtbot, window, "approve")
    assert window.locked and QApplication.activeModalWidget() is None
    assert not window.menuBar().isEnabled()
    window.open_settings()  # File → Settings while locked does nothing
    assert QApplication.activeModalWidget() is None
    qtbot.waitUntil(lambda: window.runner.pending == 0)
    assert desk.queries.job(job.id) == job
    unlock(qtbot, window)
    assert window.menuBar().isEnabled()


def test_student_text_in_the_history_stays_plain_text(qtbot, window, desk) -> None:
    job = submit(desk, filename="<h1 style='color:red'>big.stl").job
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    qtbot.waitUntil(lambda: window.detail.history.rowCount() == 1)
    tooltip = window.detail.history.item(0, 3).toolTip()
    assert "&lt;h1" in tooltip and "<h1" not in tooltip
    assert window.detail.values["file"].textFormat() == Qt.TextFormat.PlainText


def test_notes_typed_are_kept_when_staff_move_on_lock_or_quit(qtbot, window, desk) -> None:
    first, second, third = (submit(desk, student_name=n).job
                            for n in ("Ana Silva", "Bo Chen", "Cy Diaz"))
    unlock(qtbot, window)
    select(qtbot, window, first.id)
    window.detail.notes.setPlainText("supports under the overhang")  # typed, never saved
    select(qtbot, window, second.id)  # clicking another job must not lose them
    qtbot.waitUntil(lambda: desk.queries.job(first.id).staff_notes
                    == "supports under the overhang", timeout=10_000)

    window.detail.notes.setPlainText("student phoned, will pay cash")
    window.lock()
    qtbot.waitUntil(lambda: desk.queries.job(second.id).staff_notes
                    == "student phoned, will pay cash", timeout=10_000)

    unlock(qtbot, window)
    select(qtbot, window, third.id)
    window.detail.notes.setPlainText("check wall thickness")
    window.close()  # quitting waits for the save
    assert desk.queries.job(third.id).staff_notes == "check wall thickness"
    assert [e.type for e in desk.queries.events(third.id)][-1] == "edit_notes"
