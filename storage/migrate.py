"""Run Alembic migrations programmatically (at `printdesk init` and at every start).

Every start only asks the database for its revision and compares it with HEAD; Alembic itself
(a quarter of a second to import) is loaded only when there is something to migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text

from storage.engine import WRITE_OPTION, Database

if TYPE_CHECKING:
    from sqlalchemy import Connection

SCRIPTS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (tests/test_engine.py checks it against Alembic).
HEAD = "0005"


def _config(connection: Connection | None = None) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return HEAD


def alembic_head() -> str:
    """The head as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(db: Database) -> None:
    """Bring the schema to head; two processes starting together take turns (write lock)."""
    if current_revision(db) == HEAD:
        return
    from alembic import command

    with db.engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        command.upgrade(_config(conn), "head")
