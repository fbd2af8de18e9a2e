"""Tools → Reports… in the console: the fixture's figures in charts and tables, a period chosen
in the lab's time zone, and the CSV export."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCharts import QChartView
from PySide6.QtCore import QDate

from desktop.reports_view import ReportsDialog
from tests.console_helpers import screenshot, unlock
from tests.test_reports import lab  # noqa: F401 - the fixture


def test_reports_view_shows_and_exports(qtbot, window, lab, tmp_path: Path) -> None:  # noqa: F811
    lab.now = lambda: datetime.now(UTC)
    unlock(qtbot, window)
    [action] = [a for a in window.tools_menu.actions() if a.objectName() == "reportsAction"]
    action.trigger()
    dialog: ReportsDialog = window.reports_dialog
    dialog.period.setCurrentText("All time")
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.report.start is None,
                    timeout=30_000)
    assert dialog.summary.text().startswith("5 jobs submitted, 3 picked up, revenue $22.75")
    charts = dialog.tabs.widget(0).findChildren(QChartView)
    assert [c.chart().title() for c in charts] == [
        "Jobs submitted per week (2026)", "Revenue per month ($)", "Jobs by status now",
        "Reject reasons"]
    payments = dialog.tabs.widget(1)
    assert payments.rowCount() == 3
    assert [payments.item(r, 4).text() for r in range(3)] == ["3.00", "12.50", "7.25"]
    dialog.resize(1300, 860)
    screenshot(dialog, "reports.png")

    dialog.period.setCurrentText("Custom")
    dialog.start.setDate(QDate(2026, 11, 1))
    dialog.end.setDate(QDate(2026, 11, 30))
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.report.start is not None
                    and dialog.report.end is not None and dialog.report.end.day == 30)
    assert dialog.summary.text().startswith("4 jobs submitted, 2 picked up, revenue $19.75")

    dialog.export(str(tmp_path / "csv"))
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Wrote 10 CSV files"))
    with (tmp_path / "csv" / "revenue_months.csv").open(encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["month", "revenue"], ["2026-11", "19.75"]]
    dialog.close()
