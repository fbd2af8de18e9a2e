"""The console's Tools → Clean up old jobs…: it lists what would go and the space, purges once
confirmed (off the UI thread), and a purged job then shows its history and refuses to open in a
slicer with a clear message."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from core.domain.statuses import Status
from core.ops.purged import PURGED
from desktop.cleanup_dialog import CleanupDialog
from tests.console_helpers import on_next_dialog, unlock
from tests.helpers import submit
from tests.test_cleanup import finish, folder_of


def cleanup_action(window):
    [action] = [a for a in window.tools_menu.actions() if a.objectName() == "cleanupAction"]
    assert action.text() == "Clean &up old jobs…"
    return action


def open_dialog(qtbot, window) -> CleanupDialog:
    cleanup_action(window).trigger()
    qtbot.waitUntil(lambda: window.findChild(CleanupDialog) is not None)
    dialog = window.findChild(CleanupDialog)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10_000)
    return dialog


def test_cleanup_dialog_lists_and_purges_once_confirmed(qtbot, window, desk) -> None:
    old = finish(desk, submit(desk, student_name="<b>Old</b> Reject").job, Status.REJECTED, 100)
    recent = finish(desk, submit(desk, "box.obj", student_name="Recent").job,
                    Status.REJECTED, 3)
    unlock(qtbot, window)
    dialog = open_dialog(qtbot, window)
    assert dialog.table.rowCount() == 1
    cells = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert cells[:3] == [old.short_id.upper(), "<b>Old</b> Reject", "Rejected"]
    assert "1 job(s); removing their files frees" in dialog.summary.text()

    # Cancelled at the confirmation: nothing happens.
    def cancel(box) -> None:
        assert isinstance(box, QMessageBox) and "Remove the files of 1 job(s)" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()
    on_next_dialog(cancel)
    dialog.remove_button.click()
    assert dialog.result is None and (folder_of(desk, old) / old.upload_file).is_file()

    def confirm(box) -> None:
        [remove] = [b for b in box.buttons() if b.text() == "Remove files"]
        remove.click()
    on_next_dialog(confirm)
    dialog.remove_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=10_000)
    assert "Removed the files of 1 job(s)" in dialog.summary.text()
    assert not dialog.remove_button.isEnabled() and dialog.table.rowCount() == 0
    assert [p.name for p in folder_of(desk, old).iterdir()] == ["metadata.json"]
    assert desk.queries.events(old.id)[-1].type == PURGED
    assert (folder_of(desk, recent) / recent.upload_file).is_file()
    dialog.reject()

    # The purged job in the queue: its history says why; open-in-slicer refuses, clearly.
    # (A full reload: the live watcher may already have brought the change, and then a plain
    # refresh finds nothing new and leaves "last updated" where it was.)
    window.refresh(full=True)
    qtbot.waitUntil(lambda: not window._refreshing)
    window.tabs.setCurrentIndex(6)
    qtbot.waitUntil(lambda: window.select_job(old.id))
    qtbot.waitUntil(lambda: window.acting_on() is not None
                    and window.acting_on().id == old.id, timeout=10_000)
    history = window.detail.history
    qtbot.waitUntil(lambda: history.rowCount() > 0)
    texts = [history.item(r, 3).text() for r in range(history.rowCount())]
    assert any(t.startswith("Files removed after 90 days (cleanup)") for t in texts)
    window.open_in_slicer()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert "files were removed on" in window.banner.text()
    assert "no model to open" in window.banner.text()


def test_nothing_to_clean_up_says_so(qtbot, window, desk) -> None:
    submit(desk)
    unlock(qtbot, window)
    dialog = open_dialog(qtbot, window)
    assert dialog.table.rowCount() == 0 and not dialog.remove_button.isEnabled()
    assert dialog.summary.text().startswith("Nothing to clean up")
    dialog.reject()
