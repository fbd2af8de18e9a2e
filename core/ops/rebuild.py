"""`printdesk rebuild`: recreate the database from the job folders' metadata.json alone.

The old SQLite file is kept beside the new one (renamed, never deleted). Settings that live only
in the database (staff password hash, signing secret) are carried over when the old database can
still be read; otherwise a new secret is made (old student links stop working) and the password
must be set again.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.config import Config
from core.desk import SECRET_KEY, Desk, make_database, make_store
from core.domain import tokens
from core.domain.errors import PrintDeskError
from core.domain.values import Problem
from core.jobs.records import records_from_metadata
from storage.engine import sqlite_path
from storage.filestore import StoreError
from storage.migrate import upgrade
from storage.tables import Base, EventRow, JobRow, SettingRow

log = logging.getLogger(__name__)


@dataclass
class RebuildReport:
    jobs: int = 0
    events: int = 0
    kept_old_database: Path | None = None
    settings_carried: bool = False
    problems: list[Problem] = field(default_factory=list)


def _read_settings(config: Config) -> dict[str, str]:
    try:
        db = make_database(config)
        try:
            if not inspect(db.engine).has_table("settings"):
                return {}
            with db.read() as session:
                return {r.key: r.value for r in session.scalars(select(SettingRow))}
        finally:
            db.dispose()
    except SQLAlchemyError as exc:
        log.warning("old database unreadable, settings not carried over: %s", exc)
        return {}


def _set_aside_sqlite(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.before-rebuild-{stamp}")
    # The -wal and -shm files belong to the database: move them with it or it is inconsistent.
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            shutil.move(part, Path(f"{kept}{suffix}"))
    return kept


def _drop_server_tables(config: Config, force: bool) -> None:
    db = make_database(config)
    try:
        names = set(inspect(db.engine).get_table_names())
        if "jobs" in names:
            with db.read() as session:
                count = session.scalar(select(func.count()).select_from(JobRow)) or 0
            if count and not force:
                raise PrintDeskError(
                    f"The database already holds {count} jobs. Back it up, then run "
                    "`printdesk rebuild --force` to drop and rebuild it."
                )
        with db.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP FUNCTION IF EXISTS printdesk_events_append_only()"))
    finally:
        db.dispose()


def rebuild(config: Config, force: bool = False) -> RebuildReport:
    report = RebuildReport()
    store = make_store(config)
    if not store.root.is_dir():
        raise PrintDeskError(f"The storage folder {store.root} does not exist: nothing to rebuild.")
    settings = _read_settings(config)
    path = sqlite_path(config.database_url)
    if path is not None:
        if path.exists():
            report.kept_old_database = _set_aside_sqlite(path)
    else:
        _drop_server_tables(config, force)
    db = make_database(config)
    upgrade(db)
    report.settings_carried = SECRET_KEY in settings
    settings.setdefault(SECRET_KEY, tokens.new_secret())
    desk = Desk(config, db, store)
    with db.write() as session:
        for key, value in settings.items():
            session.add(SettingRow(key=key, value=value))
    for status, name, folder in store.iter_job_folders():
        try:
            job, events = records_from_metadata(store.read_metadata(folder))
        except (StoreError, KeyError, TypeError, ValueError) as exc:
            report.problems.append(Problem("unreadable_metadata", None,
                                           f"{status}/{name}: metadata.json unusable ({exc})",
                                           where=f"{status}/{name}"))
            continue
        try:
            with db.write() as session:
                session.execute(insert(JobRow.__table__), [job])
                if events:
                    session.execute(insert(EventRow.__table__), events)
        except IntegrityError as exc:
            report.problems.append(Problem("duplicate_job", job.get("id"),
                                           f"{status}/{name}: clashes with another folder ({exc.orig})",
                                           where=f"{status}/{name}"))
            continue
        report.jobs += 1
        report.events += len(events)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text(
                "SELECT setval(pg_get_serial_sequence('events', 'id'), "
                "COALESCE((SELECT MAX(id) FROM events), 0) + 1, false)"
            ))
    # Folders whose metadata names another status (a crash before COMMIT) go where it says.
    skipped = {p.where for p in report.problems}
    report.problems.extend(p for p in desk.recovery.run(repair=True, deep=True)
                           if p.where is None or p.where not in skipped)
    db.dispose()
    return report
