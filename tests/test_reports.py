"""Reports against a fixture computed by hand: five jobs with known times and amounts in the
lab's time zone (America/Chicago), across a week boundary and a month boundary that UTC places
differently."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.desk import Desk
from core.ops.report_csv import safe_cell, write_csv
from core.ops.reports import make_report, percentile
from printdesk.cli import main as cli
from tests.helpers import submit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def picked_up_job(desk: Desk, email: str, start: str, quote_h: float, pickup: str,
                  amount: str) -> str:
    clock = [at(start)]
    desk.now = lambda: clock[0]
    job = submit(desk, student_email=email, student_name=f"Student {email[0].upper()}").job
    for hours, act in ((quote_h, lambda j: desk.workflow.approve(
            j.id, j.version, weight_g="20", print_time_h="1", material="Filament",
            printer=j.printer)),
            (quote_h + 2, lambda j: desk.workflow.confirm_on_behalf(j.id, j.version, "desk")),
            (quote_h + 4, lambda j: desk.workflow.start_printing(j.id, j.version)),
            (quote_h + 6, lambda j: desk.workflow.complete(j.id, j.version))):
        clock[0] = at(start) + timedelta(hours=hours)
        job = act(job)
    clock[0] = at(pickup)
    desk.workflow.picked_up(job.id, job.version, amount)
    return job.short_id.upper()


@pytest.fixture
def lab(desk: Desk) -> Desk:
    # A: submitted Mon 2 Nov; paid Sun 8 Nov 23:30 in Chicago (UTC: Mon 9 Nov, next week).
    picked_up_job(desk, "a@example.edu", "2026-11-02T15:00", 2, "2026-11-09T05:30", "12.50")
    # B: submitted Tue 3 Nov, paid Tue 10 Nov.
    picked_up_job(desk, "b@example.edu", "2026-11-03T16:00", 1, "2026-11-10T18:00", "7.25")
    # E: submitted Fri 30 Oct, paid Sat 31 Oct 23:00 in Chicago (UTC: 1 Nov, next month).
    picked_up_job(desk, "e@example.edu", "2026-10-30T14:00", 1, "2026-11-01T04:00", "3.00")
    for email, when, reasons in (
            ("c@example.edu", "2026-11-10T14:00", ["Walls too thin", "Model not properly scaled"]),
            ("d@example.edu", "2026-11-11T14:00", ["Walls too thin"])):
        desk.now = lambda when=when: at(when)
        job = submit(desk, student_email=email).job
        desk.workflow.reject(job.id, job.version, reasons)
    desk.now = lambda: at("2026-11-20T12:00")
    return desk


def test_all_time_figures(lab: Desk) -> None:
    report = make_report(lab)
    assert report.submitted == 5
    assert dict(report.by_status)["PaidPickedUp"] == 3 and dict(report.by_status)["Rejected"] == 2
    assert report.by_week == (("2026-W44", 1), ("2026-W45", 2), ("2026-W46", 2))
    # Chicago's week and month, not UTC's.
    assert report.revenue_by_week == (("2026-W44", Decimal("3.00")),
                                      ("2026-W45", Decimal("12.50")),
                                      ("2026-W46", Decimal("7.25")))
    assert report.revenue_by_month == (("2026-10", Decimal("3.00")),
                                       ("2026-11", Decimal("19.75")))
    assert [(f"{p.at:%Y-%m-%d %H:%M}", p.amount) for p in report.payments] == [
        ("2026-10-31 23:00", Decimal("3.00")), ("2026-11-08 23:30", Decimal("12.50")),
        ("2026-11-10 12:00", Decimal("7.25"))]
    assert report.revenue == Decimal("22.75")
    stages = {s.stage: s for s in report.stages}
    whole = stages["Submitted → picked up"]  # A 158.5 h, B 170 h, E 38 h
    assert (whole.jobs, whole.median_h, whole.p90_h) == (3, 158.5, 170.0)
    quoted = stages["Submitted → quoted"]  # 2 h, 1 h, 1 h
    assert (quoted.median_h, quoted.p90_h) == (1.0, 2.0)
    assert stages["Printing → printed"].median_h == 2.0
    assert report.reject_reasons == (("Walls too thin", 2), ("Model not properly scaled", 1))


def test_a_period_in_the_lab_time_zone(lab: Desk) -> None:
    november = make_report(lab, date(2026, 11, 1), date(2026, 11, 30))
    assert november.submitted == 4  # E was submitted in October
    # E was paid on 1 November by UTC but on 31 October in Chicago: not November's.
    assert [p.amount for p in november.payments] == [Decimal("12.50"), Decimal("7.25")]
    assert november.revenue_by_month == (("2026-11", Decimal("19.75")),)
    week = make_report(lab, date(2026, 11, 2), date(2026, 11, 8))
    assert [p.amount for p in week.payments] == [Decimal("12.50")]  # Sunday 23:30 counts


def test_csv_files_read_back(lab: Desk, tmp_path: Path) -> None:
    report = make_report(lab)
    written = write_csv(report, tmp_path / "csv")
    assert len(written) == 10
    with (tmp_path / "csv" / "revenue_months.csv").open(encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == [{"month": "2026-10", "revenue": "3.00"},
                                                {"month": "2026-11", "revenue": "19.75"}]
    with (tmp_path / "csv" / "payments.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["date"], r["amount"]) for r in rows] == [
        ("2026-10-31", "3.00"), ("2026-11-08", "12.50"), ("2026-11-10", "7.25")]
    assert sum(Decimal(r["amount"]) for r in rows) == report.revenue
    with (tmp_path / "csv" / "reject_reasons.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["reason", "times"]
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and safe_cell("Ana") == "Ana"


def test_cli_report(lab: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(lab.config.data_dir)
    lab.now = lambda: datetime.now(UTC)
    assert cli(["report", "--data", data, "--from", "2026-11-01", "--to", "2026-11-30",
                "--csv", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "4 jobs submitted; 2 picked up; revenue $19.75" in out
    assert "Wrote 10 CSV files" in out and (tmp_path / "out" / "stages.csv").is_file()
    assert cli(["report", "--data", data, "--from", "2026-11-31"]) == 2
    assert "expected a date" in capsys.readouterr().err
    assert cli(["report", "--data", data, "--from", "2026-12-01", "--to", "2026-11-01"]) == 2
    assert "is after" in capsys.readouterr().err


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1.0], 0.9) == 1.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
