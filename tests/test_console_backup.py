"""The console's "Last backup: …" in the status bar (a warning when too old or never) and
Tools → Back up now, which makes a real archive off the UI thread."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.ops.backup import LAST_BACKUP, backup_folder
from core.ops.backup_archive import archives_in, verify
from desktop.backup_status import when
from desktop.style import ALARM
from tests.console_helpers import unlock
from tests.helpers import submit


def test_last_backup_label_warns_and_back_up_now_makes_one(qtbot, window, desk) -> None:
    submit(desk)
    unlock(qtbot, window)
    status = window.backup_status
    qtbot.waitUntil(lambda: status.state is not None)
    assert status.label.text() == "Last backup: never" and status.label.styleSheet() == ALARM

    [action] = [a for a in window.tools_menu.actions() if a.objectName() == "backupAction"]
    assert action.text() == "&Back up now"
    action.trigger()
    qtbot.waitUntil(lambda: not status.busy, timeout=30_000)
    [archive] = archives_in(backup_folder(desk.config))
    assert verify(archive)["jobs"] == 1
    assert str(archive) in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: status.label.text().startswith("Last backup: today"))
    assert status.label.styleSheet() == ""

    # Four days old with warn_days = 3: the warning is back, with what to do.
    stamp = datetime.now(UTC) - timedelta(days=4)
    desk.set_setting(LAST_BACKUP, json.dumps({"at": stamp.isoformat(), "path": str(archive),
                                              "size": 1, "ok": True, "error": ""}))
    archive.rename(archive.with_name(f"printdesk-backup-{stamp:%Y%m%d-%H%M%S}Z.zip"))
    status.check()
    qtbot.waitUntil(lambda: status.label.text() == "Last backup: 4 days ago")
    assert status.label.styleSheet() == ALARM and "Back up now" in status.label.toolTip()


def test_a_failed_backup_says_why(qtbot, window, desk, tmp_path) -> None:
    unlock(qtbot, window)
    status = window.backup_status
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    from core.ops.backup import make_backup

    status.service.back_up_now = lambda: make_backup(desk, blocker)  # type: ignore[method-assign]
    status.back_up_now()
    qtbot.waitUntil(lambda: not status.busy, timeout=30_000)
    assert window.statusBar().currentMessage().startswith("The backup failed:")
    qtbot.waitUntil(lambda: "failed" in status.label.text())
    assert status.label.styleSheet() == ALARM


def test_when_reads_in_the_lab_time_zone() -> None:
    chicago = ZoneInfo("America/Chicago")
    now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
    assert when(datetime(2026, 11, 22, 9, 12, tzinfo=UTC), chicago, now) == "today 03:12"
    # 04:30 UTC on the 22nd is still the 21st in Chicago: yesterday, not today.
    assert when(datetime(2026, 11, 22, 4, 30, tzinfo=UTC), chicago, now) == "yesterday 22:30"
    assert when(datetime(2026, 11, 18, 12, 0, tzinfo=UTC), chicago, now) == "4 days ago"
