"""Tools → Reports…: a period, four charts read at a glance (jobs per week, revenue per month,
jobs by status, reject reasons), the payments ledger and the time per stage, and the same CSV
files as `printdesk report --csv`. Every figure is computed off the UI thread."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QAction, QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.console.report_service import Report, ReportService
from core.domain.statuses import STATUS_LABELS, Status
from core.ops.report_csv import TABLES, rows_of
from desktop.plain import plain_label

PERIODS = ("This month", "Last month", "This year", "All time", "Custom")
PURPLE, GOLD = QColor("#461D7C"), QColor("#C99700")


def period_dates(choice: str, today: date) -> tuple[date | None, date | None]:
    first = today.replace(day=1)
    if choice == "This month":
        return first, today
    if choice == "Last month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if choice == "This year":
        return today.replace(month=1, day=1), today
    return None, None


def nice_step(top: float) -> float:
    """A round tick step (1, 2, 5 × 10ⁿ, at least 1) giving about five ticks up to `top`."""
    raw = max(top / 5, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def bar_chart(title: str, rows: list[tuple[str, float]], colour: QColor,
              horizontal: bool = False) -> QChartView:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().hide()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    bars = QBarSet(title)
    bars.setColor(colour)
    bars.append([float(value) for _, value in rows])
    series = QHorizontalBarSeries() if horizontal else QBarSeries()
    series.append(bars)
    series.setLabelsVisible(True)
    chart.addSeries(series)
    labels = QBarCategoryAxis()
    labels.append([label[:40] for label, _ in rows] or [""])
    values = QValueAxis()
    top = max([float(v) for _, v in rows] + [1.0]) * 1.15
    step = nice_step(top)
    values.setRange(0, step * math.ceil(top / step))
    values.setTickType(QValueAxis.TickType.TicksDynamic)  # whole steps: no "2, 2, 1, 1"
    values.setTickAnchor(0)
    values.setTickInterval(step)
    values.setLabelFormat("%.0f")
    chart.addAxis(labels, Qt.AlignmentFlag.AlignLeft if horizontal else Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom if horizontal else Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(labels)
    series.attachAxis(values)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(420, 260)
    return view


def table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> QTableWidget:
    widget = QTableWidget(len(rows), len(header))
    widget.setHorizontalHeaderLabels(list(header))
    widget.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(str(value))  # plain text: a student's name stays text
            widget.setItem(r, c, item)
    widget.resizeColumnsToContents()
    return widget


class ReportsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Reports")
        self.resize(1200, 820)
        self.window_, self.service = window, ReportService(window.desk)
        self.report: Report | None = None
        self._asked = 0
        self.period = QComboBox()
        self.period.addItems(PERIODS)
        self.start, self.end = QDateEdit(calendarPopup=True), QDateEdit(calendarPopup=True)
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd")
        today = QDate.currentDate()
        self.start.setDate(today.addMonths(-1))
        self.end.setDate(today)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export)
        self.summary = plain_label()
        top = QHBoxLayout()
        top.addWidget(QLabel("Period:"))
        for widget in (self.period, self.start, QLabel("to"), self.end):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.export_button)
        self.tabs = QTabWidget()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self.period.currentTextChanged.connect(self.load)
        self.start.dateChanged.connect(lambda _d: self._custom_changed())
        self.end.dateChanged.connect(lambda _d: self._custom_changed())
        self.load()

    def dates(self) -> tuple[date | None, date | None]:
        choice = self.period.currentText()
        custom = choice == "Custom"
        self.start.setEnabled(custom)
        self.end.setEnabled(custom)
        if custom:
            return self.start.date().toPython(), self.end.date().toPython()
        return period_dates(choice, self.service.today())

    def _custom_changed(self) -> None:
        if self.period.currentText() == "Custom":
            self.load()

    def load(self) -> None:
        start, end = self.dates()
        if start and end and start > end:
            self.summary.setText("The first day is after the last day.")
            return
        self.summary.setText("Counting…")
        self._asked += 1
        asked = self._asked
        # Reports may finish out of order (several readers): only the latest one is shown.
        self.window_.runner.run(lambda: self.service.report(start, end),
                                success=lambda r: self.show_report(r) if asked == self._asked
                                else None,
                                failure=lambda e: self.summary.setText(f"No report: {e}"))

    def show_report(self, report: Report) -> None:
        self.report = report
        self.summary.setText(
            f"{report.submitted} jobs submitted, {len(report.payments)} picked up, revenue "
            f"${report.revenue:.2f} ({self.service.timezone}).")
        self.tabs.clear()
        charts = QWidget()
        grid = QGridLayout(charts)
        weeks = list(report.by_week)
        years = {week[:4] for week, _ in weeks}
        # "2026-W47" does not fit under nine bars; within one year the week alone says it all.
        title = f"Jobs submitted per week ({years.pop()})" if len(years) == 1 else \
            "Jobs submitted per week"
        if "(" in title:
            weeks = [(week[5:], n) for week, n in weeks]
        grid.addWidget(bar_chart(title, weeks, PURPLE), 0, 0)
        months = [(m, float(v)) for m, v in report.revenue_by_month]
        if max((v for _, v in months), default=0) >= 100:  # cents only clutter big bars
            months = [(m, round(v)) for m, v in months]
        grid.addWidget(bar_chart("Revenue per month ($)", months, GOLD), 0, 1)
        grid.addWidget(bar_chart("Jobs by status now", [
            (STATUS_LABELS[Status(s)], n) for s, n in report.by_status][::-1], PURPLE,
            horizontal=True), 1, 0)
        grid.addWidget(bar_chart("Reject reasons", list(report.reject_reasons[:8])[::-1], GOLD,
                                 horizontal=True), 1, 1)
        self.tabs.addTab(charts, "Charts")
        for name in ("payments", "stages", "printers", "disciplines", "classes"):
            title, header = TABLES[name]
            self.tabs.addTab(table(header, rows_of(report, name)), title.split(" (")[0])

    def export(self, folder: str | None = None) -> None:
        if self.report is None:
            return
        chosen = folder or QFileDialog.getExistingDirectory(self, "Export the report as CSV")
        if not chosen:
            return
        report = self.report
        self.window_.runner.run(lambda: self.service.export(report, Path(chosen)),
                                success=lambda paths: self.summary.setText(
                                    f"Wrote {len(paths)} CSV files to {chosen}."),
                                failure=lambda e: self.summary.setText(f"Not exported: {e}"))


def install(window: QMainWindow) -> None:
    action = QAction("&Reports…", window)
    action.setObjectName("reportsAction")

    def open_reports() -> None:
        if window.locked:
            return
        dialog = ReportsDialog(window)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        window.reports_dialog = dialog  # type: ignore[attr-defined]  # for tests

    action.triggered.connect(open_reports)
    window.tools_menu.addAction(action)
