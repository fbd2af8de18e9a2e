"""printdesk.demo: sample jobs made through the real workflow service, every one of them consistent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from core.config import load_config
from core.desk import Desk, init_desk, open_desk, utcnow
from core.domain.statuses import Status
from printdesk.demo import DemoReport, fill_demo
from tests.helpers import PASSWORD

JOBS = 40


@pytest.fixture(scope="module")
def filled_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, DemoReport]]:
    """One fill shared by the read-only tests below (a fill of 40 jobs takes a few seconds)."""
    config = load_config(data_dir=tmp_path_factory.mktemp("demo") / "data", env={})
    init_desk(config, PASSWORD).close()
    desk = open_desk(config)
    yield desk, fill_demo(desk, JOBS, seed=1)
    desk.close()


@pytest.fixture
def desk(filled_desk: tuple[Desk, DemoReport]) -> Desk:
    return filled_desk[0]


@pytest.fixture
def filled(filled_desk: tuple[Desk, DemoReport]) -> DemoReport:
    return filled_desk[1]


def test_every_status_is_present_and_counted(desk: Desk, filled) -> None:
    assert filled.jobs == JOBS
    assert sum(filled.by_status.values()) == JOBS
    assert all(filled.by_status[s] > 0 for s in Status), filled.by_status
    assert dict(desk.queries.counts()) == dict(filled.by_status)


def test_every_demo_job_is_consistent(desk: Desk, filled) -> None:
    # Folder where the row says, metadata.json current and readable, nothing left in scratch.
    assert desk.recovery.run(repair=False, deep=True) == []
    for job in desk.queries.jobs():
        folder = desk.store.job_dir(job.status.value, job.folder_name)
        assert (folder / job.upload_file).is_file()
        assert desk.store.read_metadata(folder)["job"]["version"] == job.version


def test_the_clock_is_restored(desk: Desk, filled) -> None:
    assert desk.now is utcnow
    assert desk.now() > max(j.updated_at for j in desk.queries.jobs())


def test_events_spread_over_weeks_and_stay_in_order(desk: Desk, filled) -> None:
    now = desk.now()
    jobs = desk.queries.jobs()
    oldest = min(j.submitted_at for j in jobs)
    assert now - timedelta(weeks=9) < oldest < now - timedelta(weeks=3)
    weeks = {(now - j.submitted_at).days // 7 for j in jobs}
    assert len(weeks) >= 4
    for job in jobs:
        times = [e.at for e in desk.queries.events(job.id)]
        assert times == sorted(times) and times[-1] < now
        assert times[0] == job.submitted_at


def test_pending_jobs_include_expired_and_live_confirmations(desk: Desk, filled) -> None:
    now = desk.now()
    pending = desk.queries.jobs(Status.PENDING)
    expired = [j for j in pending if j.confirm_expires_at and j.confirm_expires_at < now]
    live = [j for j in pending if j.confirm_expires_at and j.confirm_expires_at > now]
    assert expired and live
    assert filled.expired_pending == len(expired)
    assert all(desk.queries.confirm_url(j.id) for j in pending)


def test_realistic_variety(desk: Desk, filled) -> None:
    jobs = desk.queries.jobs()
    assert len({j.student_email.lower() for j in jobs}) >= JOBS * 0.8  # mostly distinct students
    assert any(not j.student_name.isascii() for j in jobs)
    assert {j.print_method for j in jobs} == {"Filament", "Resin"}
    for job in jobs:
        assert desk.config.printer(job.printer).method == job.print_method
        assert job.color in desk.config.method(job.print_method).colors
    assert any(j.reviewed for j in jobs) and any(not j.reviewed for j in jobs)
    assert any(j.staff_notes for j in jobs)
    rejected = desk.queries.jobs(Status.REJECTED)
    assert all(j.reject_reasons for j in rejected)
    paid = desk.queries.jobs(Status.PAID_PICKED_UP)
    assert all(j.amount_paid == j.cost and j.cost for j in paid)


def test_problem_models_are_present(desk: Desk, filled) -> None:
    analyses = [j.analysis or {} for j in desk.queries.jobs()]
    assert any(a.get("unit_hint") for a in analyses)  # the tiny model in inches
    assert any(a.get("fits") and not a.get("fits_chosen") for a in analyses)  # too large


def test_a_second_fill_adds_fresh_students(tmp_path) -> None:
    config = load_config(data_dir=tmp_path / "data", env={"PRINTDESK_LIMITS_MAX_ACTIVE_JOBS_PER_EMAIL": "2"})
    init_desk(config, PASSWORD).close()
    desk = open_desk(config)
    try:
        first, again = fill_demo(desk, 20, seed=1), fill_demo(desk, 20, seed=1)
        assert first.by_status == again.by_status  # same seed, same story
        assert sum(desk.queries.counts().values()) == 40
        assert desk.recovery.run(repair=False, deep=True) == []
    finally:
        desk.close()


@pytest.mark.slow
def test_worker_processes_make_the_same_jobs(tmp_path) -> None:
    config = load_config(data_dir=tmp_path / "data", env={})
    init_desk(config, PASSWORD).close()
    desk = open_desk(config)
    try:
        report = fill_demo(desk, 100, seed=3, workers=2)
        assert dict(desk.queries.counts()) == dict(report.by_status)
        assert sum(report.by_status.values()) == 100
        assert desk.recovery.run(repair=False, deep=True) == []
        assert desk.now is utcnow
    finally:
        desk.close()


def _picture(desk: Desk) -> list[tuple[object, ...]]:
    """Everything a fill wrote, without what is random by design (ids, short ids, tokens)."""
    from sqlalchemy import select

    from storage.tables import EventRow, JobRow, OutboxRow, TaskRow

    random_columns = {"id", "short_id", "folder_name", "upload_file", "authoritative_file",
                      "confirm_nonce", "metadata_version"}
    picture = []
    with desk.db.read() as session:
        for row in session.scalars(select(JobRow).order_by(JobRow.submitted_at)):
            columns = {c.key: getattr(row, c.key) for c in JobRow.__table__.columns
                       if c.key not in random_columns}
            events = [(e.type, e.at, e.actor, e.machine, e.details) for e in session.scalars(
                select(EventRow).where(EventRow.job_id == row.id).order_by(EventRow.id))]
            mail = [(m.kind, m.to_addr, m.subject.replace(row.short_id.upper(), "<ref>"), m.state,
                     m.created_at) for m in
                    session.scalars(select(OutboxRow).where(OutboxRow.job_id == row.id)
                                    .order_by(OutboxRow.id))]
            tasks = sorted((t.kind, t.state, t.due_at) for t in session.scalars(
                select(TaskRow).where(TaskRow.job_id == row.id)))
            folder = desk.store.job_dir(row.status, row.folder_name)
            document = desk.store.read_metadata(folder)
            assert document["job"]["version"] == row.version == row.metadata_version
            assert [e["type"] for e in document["events"]] == [e[0] for e in events]
            files = sorted(p.name.replace(row.folder_name, "<name>") for p in folder.iterdir())
            picture.append((columns, events, mail, tasks, files))
    return picture


def test_batches_make_the_same_jobs_as_one_action_at_a_time(tmp_path) -> None:
    """The batched fill (rows in memory, bulk inserts) against every action as its own unit:
    same rows, events, emails, tasks and folders for the same seed and clock."""
    pictures, fixed = [], utcnow()
    for batched in (True, False):
        config = load_config(data_dir=tmp_path / str(batched), env={})
        init_desk(config, PASSWORD).close()
        desk = open_desk(config, machine="demo-pc")
        desk.now = lambda: fixed  # one anchor for both fills
        try:
            report = fill_demo(desk, 60, seed=5, batched=batched)
            assert desk.recovery.run(repair=False, deep=True) == []
            pictures.append((dict(report.by_status), _picture(desk)))
        finally:
            desk.close()
    assert pictures[0][0] == pictures[1][0]
    assert len(pictures[0][1]) == 60
    for batched, single in zip(pictures[0][1], pictures[1][1], strict=True):
        assert batched == single
