"""The whole product, unchanged, on a real PostgreSQL server instead of SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import Config, load_config
from core.desk import Desk, init_desk, open_desk
from core.domain.errors import ConcurrencyError
from core.domain.statuses import STATUS_ORDER, Status
from core.domain.values import Job
from tests.helpers import PASSWORD, model, submit

pytestmark = pytest.mark.postgres

RESIN = {"print_method": "Resin", "color": "Black", "printer": "Formlabs Form 3"}
LIFECYCLE = ["submit", "approve", "confirm", "start_printing", "complete", "picked_up"]


@pytest.fixture
def pg_config(pg_database_url: str, tmp_path: Path) -> Config:
    config = load_config(data_dir=tmp_path / "data", env={"PRINTDESK_DATABASE_URL": pg_database_url})
    assert config.database_url.startswith("postgresql+psycopg://")
    return config


@pytest.fixture
def pg_desk(pg_config: Config) -> Iterator[Desk]:
    init_desk(pg_config, PASSWORD).close()
    desk = open_desk(pg_config)
    assert desk.db.dialect == "postgresql"
    yield desk
    desk.close()


def assert_utc(job: Job) -> None:
    for value in (job.submitted_at, job.updated_at):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


def run_lifecycle(desk: Desk) -> Job:
    job = submit(desk, **RESIN).job
    assert job.status is Status.UPLOADED
    job = desk.workflow.approve(job.id, job.version, weight_g="47.3", print_time_h="1.2",
                                material="Resin", printer="Formlabs Form 3")
    assert (job.status, job.cost) == (Status.PENDING, Decimal("9.46"))
    url = desk.queries.confirm_url(job.id)
    assert url is not None and "/confirm/" in url
    job = desk.workflow.confirm(url.rsplit("/confirm/", 1)[1])
    assert job.status is Status.READY_TO_PRINT
    assert desk.queries.confirm_url(job.id) is None  # single use
    job = desk.workflow.start_printing(job.id, job.version)
    job = desk.workflow.complete(job.id, job.version)
    return desk.workflow.picked_up(job.id, job.version, "9.46")


def test_full_lifecycle_on_postgres(pg_desk: Desk, pg_config: Config) -> None:
    done = run_lifecycle(pg_desk)
    job = pg_desk.queries.job(done.short_id)  # read back from the database, not the return value
    assert job == done
    assert job.status is Status.PAID_PICKED_UP

    # Exact decimals, as text, to the digit.
    assert job.cost == Decimal("9.46") and str(job.cost) == "9.46"
    assert str(job.weight_g) == "47.3" and str(job.print_time_h) == "1.5"
    assert str(job.amount_paid) == "9.46"
    with pg_desk.db.read() as session:
        stored = session.execute(text("SELECT cost, weight_g FROM jobs WHERE id = :id"),
                                 {"id": job.id}).one()
    assert tuple(stored) == ("9.46", "47.3")

    # tz-aware UTC datetimes; stored as UTC even though the server's time zone is not UTC.
    assert_utc(job)
    assert job.confirm_expires_at is not None and job.confirm_expires_at.utcoffset() == timedelta(0)
    with pg_desk.db.read() as session:
        server_tz = session.scalar(text("SELECT current_setting('TimeZone')"))
        naive = session.scalar(text("SELECT submitted_at FROM jobs WHERE id = :id"), {"id": job.id})
    assert server_tz != "UTC"
    assert naive.replace(tzinfo=UTC) == job.submitted_at

    events = pg_desk.queries.events(job.id)
    assert [e.type for e in events] == LIFECYCLE
    assert all(e.at.utcoffset() == timedelta(0) for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[1].details["cost"] == "9.46"

    # The folder sits in PaidPickedUp/ only, with the file and an up-to-date metadata.json.
    folder = pg_config.storage_root / Status.PAID_PICKED_UP.value / job.folder_name
    assert folder.is_dir()
    assert pg_desk.store.locate(job.folder_name) == [Status.PAID_PICKED_UP.value]
    for status in STATUS_ORDER:
        if status is not Status.PAID_PICKED_UP:
            assert not (pg_config.storage_root / status.value / job.folder_name).exists()
    upload = folder / job.upload_file
    assert upload.read_bytes() == model("20mm-xyz-cube.stl").read_bytes()
    document = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert document["job"]["status"] == "PaidPickedUp"
    assert document["job"]["version"] == job.version
    assert (document["job"]["cost"], document["job"]["amount_paid"]) == ("9.46", "9.46")
    assert [e["type"] for e in document["events"]] == LIFECYCLE

    # A fresh start on the same database and folder finds nothing to repair.
    pg_desk.close()
    reopened = open_desk(pg_config)
    try:
        assert reopened.recovery.run(repair=False, deep=True) == []
        assert reopened.queries.job(job.id) == job
        assert reopened.queries.counts()[Status.PAID_PICKED_UP] == 1
    finally:
        reopened.close()


def test_stale_version_raises_concurrency_error(pg_desk: Desk, pg_config: Config) -> None:
    job = submit(pg_desk, **RESIN).job
    other = open_desk(pg_config, machine="front-desk")  # a second console on the same database
    try:
        seen = other.queries.job(job.id)
        pg_desk.workflow.edit_notes(job.id, job.version, "Resin tank is low.")
        with pytest.raises(ConcurrencyError):
            other.workflow.approve(seen.id, seen.version, weight_g="47.3", print_time_h="1",
                                   material="Resin", printer="Formlabs Form 3")
        with pytest.raises(ConcurrencyError):
            other.workflow.reject(seen.id, seen.version, ["Walls too thin"])
    finally:
        other.close()
    after = pg_desk.queries.job(job.id)
    assert after.status is Status.UPLOADED and after.version == job.version + 1
    assert after.staff_notes == "Resin tank is low."
    assert [e.type for e in pg_desk.queries.events(job.id)] == ["submit", "edit_notes"]
    assert pg_desk.store.locate(job.folder_name) == [Status.UPLOADED.value]
