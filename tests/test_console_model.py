"""The queue's table model and the search over every tab, without a window (Vorta's pattern)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from core.console.search import SearchIndex
from core.domain.statuses import Status
from core.domain.values import summary_of
from desktop.jobs_model import (
    AGE_COLOURS,
    COL_AGE,
    COL_COST,
    COL_NAME,
    COL_NEW,
    COL_SUBMITTED,
    JOB_ROLE,
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
    return [summary_of(j) for j in jobs]


def test_model_passes_qt_model_tester(qapp, qtmodeltester, desk) -> None:
    model = JobTableModel(CHICAGO)
    jobs = sample(desk)
    model.set_rows(jobs)
    qtmodeltester.check(model)
    model.set_filter({jobs[1].id, jobs[4].id})
    qtmodeltester.check(model)
    model.remove([jobs[1].id])
    model.upsert([jobs[2]])
    qtmodeltester.check(model)


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
    assert model.index(0, COL_SUBMITTED).data() == "Jul 01 12:30"  # CDT, UTC-5
    assert model.index(0, COL_SUBMITTED).data(Qt.ItemDataRole.ToolTipRole) == \
        "2026-07-01 12:30 CDT"


def test_tabs_load_their_own_rows_search_spans_them_and_sorting_is_numeric(qapp, desk) -> None:
    jobs = sample(desk)
    w = desk.workflow
    priced = [w.approve(j.id, j.version, weight_g=g, print_time_h="1", material="Filament",
                        printer="Prusa MK4S") for j, g in zip(jobs[:3], ("100", "9", "250"),
                                                              strict=True)]
    model = JobTableModel(CHICAGO)
    model.set_rows(desk.queries.summaries(Status.UPLOADED))
    assert model.rowCount() == 3
    model.set_rows(desk.queries.summaries(Status.PENDING))
    assert model.rowCount() == 3
    model.sort(COL_COST, Qt.SortOrder.AscendingOrder)
    costs = [model.index(r, COL_COST).data() for r in range(3)]
    assert costs == ["$3.00", "$10.00", "$25.00"]  # numeric: "$10" after "$3"
    index = SearchIndex()
    index.replace(desk.queries.search_index())
    for needle, everywhere, pending in (("n/a", 2, 1), ("ENGR", 1, 1),
                                        (priced[0].short_id, 1, 1), ("s4@example", 1, 0),
                                        ("nobody", 0, 0), ("  ana ", 1, 1)):
        found = index.match(needle)
        assert len(found.ids) == everywhere, needle
        assert found.per_status[Status.PENDING] == pending, needle
        model.set_filter(found.ids)
        assert model.rowCount() == pending, needle
    assert index.match("") is None
    model.set_filter(None)
    model.set_rows(desk.queries.summaries(Status.UPLOADED) + desk.queries.summaries(
        Status.PENDING))
    model.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    assert model.index(0, COL_NAME).data() == "Flo Gray"
    model.sort(COL_AGE, Qt.SortOrder.DescendingOrder)  # oldest first
    assert [model.index(r, COL_NAME).data() for r in (0, 5)] == ["Ana Silva", "Flo Gray"]


def test_age_colour_only_where_staff_are_awaited(qapp, desk) -> None:
    job = replace(sample(desk, 1)[0], submitted_at=datetime.now(UTC) - timedelta(days=5))
    model = JobTableModel(CHICAGO)
    model.set_rows([job])
    assert model.index(0, COL_AGE).data(Qt.ItemDataRole.BackgroundRole) is not None
    for finished in (Status.PENDING, Status.COMPLETED, Status.PAID_PICKED_UP, Status.REJECTED):
        model.set_rows([replace(job, status=finished)])
        assert model.index(0, COL_AGE).data(Qt.ItemDataRole.BackgroundRole) is None, finished


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


def test_a_held_cell_follows_its_job_through_a_sort_and_a_new_row(qapp, desk) -> None:
    """The selection and current cell stay on their job when the rows reorder (a sort, a new
    submission arriving), without remapping every cell of a large tab."""
    from PySide6.QtCore import QPersistentModelIndex

    model = JobTableModel(CHICAGO)
    jobs = sample(desk)
    model.set_rows(jobs[:5])
    held = QPersistentModelIndex(model.index(model.row_of(jobs[2].id), COL_NAME))
    model.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    assert held.row() == model.row_of(jobs[2].id) and held.column() == COL_NAME
    assert held.data() == "Cy Dove"
    model.upsert([jobs[5]])  # Flo Gray sorts first, descending: every row moves down
    assert model.row_of(jobs[5].id) == 0 and held.data() == "Cy Dove"
