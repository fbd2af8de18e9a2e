"""The event log is append-only, and the database itself enforces it: raw SQL cannot rewrite it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.config import load_config
from core.desk import Desk, init_desk, open_desk
from storage.engine import Database, open_database
from storage.migrate import current_revision, head_revision, upgrade
from tests.helpers import PASSWORD, submit

ALL_EVENTS = "SELECT id, job_id, type, at, actor, machine, details FROM events ORDER BY id"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def raw(database_url: str) -> Iterator[Database]:
    """A plain connection to the database with the schema migrated, like any other client."""
    db = open_database(database_url)
    upgrade(db)
    assert current_revision(db) == head_revision()
    yield db
    db.dispose()


@pytest.fixture
def desk(raw: Database, database_url: str, tmp_path: Path) -> Iterator[Desk]:
    config = load_config(data_dir=tmp_path / "data", env={"PRINTDESK_DATABASE_URL": database_url})
    init_desk(config, PASSWORD).close()
    opened = open_desk(config)
    yield opened
    opened.close()


def rows(db: Database, query: str = ALL_EVENTS) -> list[tuple[object, ...]]:
    with db.read() as session:
        return [tuple(r) for r in session.execute(text(query))]


def refused(db: Database, statement: str) -> str:
    """Run `statement` in a write transaction; it must fail. Returns the database's message."""
    with pytest.raises(DBAPIError) as caught, db.write() as session:
        session.execute(text(statement))
    return str(caught.value.orig)


@pytest.fixture
def logged(desk: Desk, raw: Database) -> list[tuple[object, ...]]:
    """One submitted job: its row and its `submit` event are in the database."""
    job = submit(desk).job
    before = rows(raw)
    assert [(r[1], r[2]) for r in before] == [(job.id, "submit")]
    return before


def test_update_of_an_event_is_refused(raw: Database, logged: list[tuple[object, ...]]) -> None:
    message = refused(raw, "UPDATE events SET type = 'x'")
    assert "append-only" in message
    assert rows(raw) == logged
    message = refused(raw, f"UPDATE events SET details = '{{}}' WHERE id = {logged[0][0]}")
    assert "append-only" in message
    assert rows(raw) == logged


def test_delete_of_an_event_is_refused(raw: Database, logged: list[tuple[object, ...]]) -> None:
    assert "append-only" in refused(raw, "DELETE FROM events")
    assert rows(raw) == logged
    # Deleting the job would orphan its events: the foreign key refuses that too.
    refused(raw, "DELETE FROM jobs")
    assert rows(raw) == logged
    assert len(rows(raw, "SELECT id FROM jobs")) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_truncate_of_events_is_refused_on_postgres(
    raw: Database, logged: list[tuple[object, ...]]
) -> None:
    assert "append-only" in refused(raw, "TRUNCATE events")
    assert rows(raw) == logged
    # TRUNCATE jobs CASCADE would empty events as well: the events trigger fires for it too.
    assert "append-only" in refused(raw, "TRUNCATE jobs CASCADE")
    assert rows(raw) == logged


def test_new_events_can_still_be_appended(
    desk: Desk, raw: Database, logged: list[tuple[object, ...]]
) -> None:
    job_id = logged[0][1]
    with raw.write() as session:
        session.execute(
            text("INSERT INTO events (job_id, type, at, actor, machine, details) "
                 "VALUES (:job, 'note', :at, 'staff', 'raw-sql', :details)"),
            {"job": job_id, "at": datetime.now(UTC).replace(tzinfo=None), "details": "{}"},
        )
    job = desk.queries.job(str(job_id))
    desk.workflow.edit_notes(job.id, job.version, "Checked the walls.")  # the app appends one too
    after = rows(raw)
    assert after[0] == logged[0]
    assert [r[2] for r in after] == ["submit", "note", "edit_notes"]
    assert [e.type for e in desk.queries.events(job.id)] == ["submit", "note", "edit_notes"]
