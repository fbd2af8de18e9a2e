"""The console's Tools → Reports: a period's report and its CSV export (core.ops.reports),
called from the console's worker threads; plain values back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from core.desk import Desk
from core.ops.report_csv import write_csv
from core.ops.reports import Report, make_report

__all__ = ["Report", "ReportService"]


class ReportService:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @property
    def timezone(self) -> str:
        return self.desk.config.lab.timezone

    def today(self) -> date:
        return datetime.now(UTC).astimezone(self.desk.config.tz).date()

    def report(self, start: date | None, end: date | None) -> Report:
        return make_report(self.desk, start, end)

    def export(self, report: Report, folder: Path) -> list[Path]:
        return write_csv(report, folder)
