"""A report's tables as rows (for the CLI's text, the console and CSV files). CSV cells that a
spreadsheet would run as a formula (a student's name beginning with = + - @) get a leading '."""

from __future__ import annotations

import csv
from pathlib import Path

from core.ops.reports import Report

# table name -> (title, header)
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("Jobs submitted in the period, by status now", ("status", "jobs")),
    "weeks": ("Jobs submitted per week", ("week", "jobs")),
    "printers": ("Jobs per printer", ("printer", "jobs")),
    "disciplines": ("Jobs per discipline", ("discipline", "jobs")),
    "classes": ("Jobs per class number", ("class", "jobs")),
    "revenue_weeks": ("Revenue per week", ("week", "revenue")),
    "revenue_months": ("Revenue per month", ("month", "revenue")),
    "payments": ("Payments (every pickup)", ("date", "time", "reference", "student", "amount")),
    "stages": ("Time per stage, jobs picked up in the period (hours)",
               ("stage", "jobs", "median_hours", "p90_hours")),
    "reject_reasons": ("Reject reasons", ("reason", "times")),
}


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def rows_of(report: Report, name: str) -> list[tuple[object, ...]]:
    simple = {"status": report.by_status, "weeks": report.by_week,
              "printers": report.by_printer, "disciplines": report.by_discipline,
              "classes": report.by_class, "reject_reasons": report.reject_reasons}
    if name in simple:
        return [tuple(row) for row in simple[name]]
    if name == "revenue_weeks":
        return [(week, f"{amount:.2f}") for week, amount in report.revenue_by_week]
    if name == "revenue_months":
        return [(month, f"{amount:.2f}") for month, amount in report.revenue_by_month]
    if name == "payments":
        return [(f"{p.at:%Y-%m-%d}", f"{p.at:%H:%M}", p.reference, p.student_name,
                 f"{p.amount:.2f}") for p in report.payments]
    if name == "stages":
        return [(s.stage, s.jobs, _hours(s.median_h), _hours(s.p90_h)) for s in report.stages]
    raise KeyError(name)


def safe_cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (_title, header) in TABLES.items():
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows([safe_cell(c) for c in row] for row in rows_of(report, name))
        written.append(path)
    return written
