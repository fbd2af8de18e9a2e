"""Run Alembic migrations programmatically (at `printdesk init` and at every start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.engine import WRITE_OPTION, Database

SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> None:
    """Bring the schema to head; two processes starting together take turns (write lock)."""
    if current_revision(db) == head_revision():
        return
    with db.engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        command.upgrade(_config(conn), "head")
