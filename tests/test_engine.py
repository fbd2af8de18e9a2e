"""The SQLite engine: WAL on a local disk, rollback journal where configured or on a share."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.config import load_config
from core.desk import init_desk, open_desk
from storage.engine import choose_journal, open_database
from storage.netfs import is_network_path


def journal_of(db) -> str:
    with db.engine.connect() as conn:
        return conn.execute(text("PRAGMA journal_mode")).scalar()


def test_local_disk_gets_wal_with_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}", "auto", 12_345)
    try:
        assert db.journal_mode == "wal" and journal_of(db) == "wal"
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 12_345
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()


def test_configured_rollback_journal_is_used(tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path / "data",
                         env={"PRINTDESK_DATABASE_SQLITE_JOURNAL": "delete"})
    init_desk(config, "password-1").close()
    desk = open_desk(config)
    try:
        assert desk.db.journal_mode == "delete" and journal_of(desk.db) == "delete"
    finally:
        desk.close()


def test_network_detection_on_a_local_folder_and_the_auto_rule(tmp_path: Path) -> None:
    assert not is_network_path(tmp_path)
    assert choose_journal(tmp_path / "x.db", "auto") == "wal"
    assert choose_journal(tmp_path / "x.db", "delete") == "delete"
    assert choose_journal(tmp_path / "x.db", "wal") == "wal"


def test_the_head_revision_constant_is_alembics() -> None:
    from storage.migrate import HEAD, alembic_head

    assert HEAD == alembic_head()  # a new migration must update storage.migrate.HEAD
