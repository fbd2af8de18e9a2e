"""Engine factory: SQLite (WAL or rollback journal) or any SQLAlchemy URL, and sessions.

SQLite: pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves —
`BEGIN IMMEDIATE` for writes. A deferred BEGIN that later writes fails with "database is locked"
when another process got the write lock first, whatever the busy timeout; IMMEDIATE waits instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.netfs import is_network_path

WRITE_OPTION = "printdesk_write"


@dataclass(frozen=True)
class Database:
    engine: Engine
    journal_mode: str | None  # "wal" / "delete" on SQLite, None elsewhere

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write unit: BEGIN IMMEDIATE on SQLite; commits on exit, rolls back on error."""
        engine = self.engine.execution_options(**{WRITE_OPTION: True})
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def choose_journal(path: Path, setting: str) -> str:
    if setting in ("wal", "delete"):
        return setting
    return "delete" if is_network_path(path.parent) else "wal"


def open_database(url: str, journal: str = "auto", busy_timeout_ms: int = 30_000) -> Database:
    path = sqlite_path(url)
    if path is None and not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
        return Database(engine, None)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    mode = choose_journal(path, journal) if path is not None else "memory"
    engine = create_engine(
        url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if mode in ("wal", "delete"):
            cursor.execute(f"PRAGMA journal_mode = {mode.upper()}")
            cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return Database(engine, mode if path is not None else None)
