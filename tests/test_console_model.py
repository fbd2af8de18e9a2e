"""The queue's table model and proxy, without a window (Vorta's pattern)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from core.domain.statuses import Status
from desktop.jobs_model import (
    AGE_COLOURS,
    COL_AGE,
    COL_COST,
    COL_NAME,
    COL_NEW,
    COL_SUBMITTED,
    JOB_ROLE,
    JobFilterProxy,
    JobTableModel,
    age_text,
)
from tests.helpers import submit

CHICAGO = ZoneInfo("America/Chicago")


def sample(desk, count: int = 6):
    jobs = [submit(desk, student_name=n, student_email=f"s{i}@example.edu",
                   class_number=c).job
            for i, (n, c) in enumerate([("Ana Silva", "ARCH 4000"), ("Bo Chen", "N/A"),
                                        ("Cy Dove", "ENGR 1010"), ("Di Eve", "ART 2000"),
                                        ("Ed Fox", "N/A"), ("Flo Gray", "IDES 3000")][:count])]
    return jobs


def test_model_passes_qt_model_tester(qapp, qtmodeltester, desk) -> None:
    model = JobTableModel(CHICAGO)
    model.set_rows(sample(desk))
    qtmodeltester.check(model)
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search("n/a")
    qtmodeltester.check(proxy)


def test_age_text_and_colour_bands(qapp, desk) -> None:
    base = sample(desk, 1)[0]
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    ages = [timedelta(minutes=5), timedelta(hours=5), timedelta(hours=30),
            timedelta(hours=50), timedelta(days=2, hours=4) + timedelta(hours=24)]
    jobs = [replace(base, id=f"{i:032x}", submitted_at=now - age) for i, age in enumerate(ages)]
    model = JobTableModel(CHICAGO, clock=lambda: now)
    model.set_rows(jobs)  # sorted by age, youngest first
    texts = [model.index(r, COL_AGE).data() for r in range(5)]
    assert texts == ["5m ago", "5h ago", "1d 6h ago", "2d 2h ago", "3d 4h ago"]
    colours = [model.index(r, COL_AGE).data(Qt.ItemDataRole.BackgroundRole).color().name()
               for r in range(5)]
    assert colours == [AGE_COLOURS[0], AGE_COLOURS[0], AGE_COLOURS[1], AGE_COLOURS[2],
                       AGE_COLOURS[3]]
    assert age_text(0) == "just now"


def test_submitted_time_is_in_the_lab_time_zone(qapp, desk) -> None:
    job = replace(sample(desk, 1)[0], submitted_at=datetime(2026, 7, 1, 17, 30, tzinfo=UTC))
    model = JobTableModel(CHICAGO)
    model.set_rows([job])
    assert model.index(0, COL_SUBMITTED).data() == "2026-07-01 12:30"  # CDT, UTC-5


def test_proxy_filters_by_tab_and_search_and_sorts_numerically(qapp, desk) -> None:
    jobs = sample(desk)
    w = desk.workflow
    priced = [w.approve(j.id, j.version, weight_g=g, print_time_h="1", material="Filament",
                        printer="Prusa MK4S") for j, g in zip(jobs[:3], ("100", "9", "250"),
                                                              strict=True)]
    model = JobTableModel(CHICAGO)
    model.set_rows(desk.queries.jobs())
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    assert proxy.rowCount() == 3  # Uploaded tab by default
    proxy.set_status(Status.PENDING)
    assert proxy.rowCount() == 3
    model.sort(COL_COST, Qt.SortOrder.AscendingOrder)
    costs = [proxy.index(r, COL_COST).data() for r in range(3)]
    assert costs == ["$3.00", "$10.00", "$25.00"]  # numeric: "$10" after "$3"
    proxy.set_status(None)
    for needle, expected in (("n/a", 2), ("ENGR", 1), (priced[0].short_id, 1),
                             ("s4@example", 1), ("nobody", 0), ("  ana ", 1)):
        proxy.set_search(needle)
        assert proxy.rowCount() == expected, needle
    proxy.set_search("")
    model.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, COL_NAME).data() == "Flo Gray"
    model.sort(COL_AGE, Qt.SortOrder.DescendingOrder)  # oldest first
    assert [proxy.index(r, COL_NAME).data() for r in (0, 5)] == ["Ana Silva", "Flo Gray"]


def test_new_and_expired_markers(qapp, desk) -> None:
    job = sample(desk, 1)[0]
    model = JobTableModel(CHICAGO)
    model.set_rows([job])
    assert model.index(0, COL_NEW).data() == "NEW"
    assert model.index(0, COL_NAME).data(Qt.ItemDataRole.FontRole).bold()
    late = replace(job, status=Status.PENDING, reviewed=True,
                   confirm_expires_at=datetime.now(UTC) - timedelta(hours=1))
    model.set_rows([late])
    assert model.index(0, COL_NEW).data() == "EXPIRED"
    assert "expired" in model.index(0, COL_NEW).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 0).data(JOB_ROLE) == late
