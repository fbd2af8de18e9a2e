"""The service API both fronts and outside scripts call: `open_desk(config)` gives a Desk with
`desk.workflow.<action>(...)`, `desk.queries` and `desk.student`, which take and return the plain
immutable values re-exported here."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import inspect

from core.config import Config
from core.context import PASSWORD_KEY, SECRET_KEY, Context, make_database, make_store, utcnow
from core.domain import passwords, tokens
from core.domain.errors import (
    ConcurrencyError,
    NotInitialisedError,
    PrintDeskError,
    StorageError,
    TransitionRefused,
    ValidationError,
)
from core.domain.statuses import Status
from core.domain.values import Job, SubmissionForm, SubmitResult, Upload
from core.jobs.queries import Queries
from core.jobs.student import StudentQueries
from core.jobs.workflow import Workflow
from core.mail.outbox import Outbox
from core.ops.recovery import Recovery
from storage.engine import sqlite_path
from storage.migrate import upgrade
from storage.tables import SettingRow

log = logging.getLogger(__name__)

class Desk(Context):
    """The service API: `desk.workflow.<action>(...)` changes jobs, `desk.queries` and
    `desk.student` read them; everything returned is a plain immutable value."""

    @cached_property
    def workflow(self) -> Workflow:
        return Workflow(self)

    @cached_property
    def queries(self) -> Queries:
        return Queries(self)

    @cached_property
    def student(self) -> StudentQueries:
        return StudentQueries(self)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self)

    @cached_property
    def recovery(self) -> Recovery:
        return Recovery(self)

    def has_password(self) -> bool:
        return bool(self.get_setting(PASSWORD_KEY))

    def set_password(self, password: str) -> None:
        problem = passwords.password_problem(password)
        if problem:
            raise ValidationError({"password": problem})
        self.set_setting(PASSWORD_KEY, passwords.hash_password(password))

    def check_password(self, password: str) -> bool:
        stored = self.get_setting(PASSWORD_KEY)
        return bool(stored) and passwords.verify_password(password, stored or "")

    def health(self) -> dict[str, str]:
        """Cheap checks for the intake's /healthz: each value is "ok" or what is wrong."""
        result = {"database": self._database_health()}
        result["storage"] = "ok" if self.store.writable() else "unwritable or unreachable"
        try:
            free_mb = shutil.disk_usage(self.store.root).free // (1024 * 1024)
        except OSError:
            result["disk"] = "unknown: the storage folder cannot be reached"
        else:
            limit = self.config.limits.min_free_disk_mb
            result["disk"] = "ok" if free_mb >= limit else f"low: {free_mb} MB free, under {limit} MB"
        return result

    def _database_health(self) -> str:
        path = sqlite_path(self.config.database_url)
        if path is not None:
            try:
                now = path.stat()
            except FileNotFoundError:
                return f"missing: {path} is gone"
            if self.db_identity is not None and (now.st_dev, now.st_ino) != self.db_identity:
                return f"replaced: {path} is not the file this server opened; restart it"
        try:
            self.get_setting(SECRET_KEY)
        except Exception as exc:  # any failure is the answer, not a crash
            log.warning("health check: database: %s", exc)
            return "unreachable"
        return "ok"

    def close(self) -> None:
        self.db.dispose()


def _check_root(config: Config) -> None:
    if not config.storage_root.is_dir():
        raise StorageError(
            f"The storage folder {config.storage_root} is not reachable. If it is on a network "
            "share, check that the share is connected; otherwise run `printdesk init`."
        )


def open_desk(
    config: Config,
    *,
    repair: bool = True,
    now: Callable[[], datetime] = utcnow,
    machine: str | None = None,
) -> Desk:
    """Open an initialised data folder: upgrade the schema and (by default) repair crashes."""
    path = sqlite_path(config.database_url)
    if path is not None and not path.exists():
        raise NotInitialisedError(
            f"No PrintDesk database at {path}: run `printdesk init` (with the same --data) first."
        )
    _check_root(config)
    db = make_database(config)
    upgrade(db)
    desk = Desk(config, db, make_store(config), now=now)
    if path is not None:
        found = path.stat()
        desk.db_identity = (found.st_dev, found.st_ino)
    if machine:
        desk.machine = machine
    if not desk.get_setting(SECRET_KEY):
        db.dispose()
        raise NotInitialisedError("This data folder is not initialised: run `printdesk init`.")
    desk.store.ensure_layout()
    if repair:
        for problem in desk.recovery.run(repair=True, deep=False):
            log.warning("start-up check: %s", problem.message)
    return desk


def _private_dir(path: Path) -> None:
    """Create the data folder readable by its owner only (students' names and emails live in
    it). An existing folder is left as its owner set it, e.g. shared with a staff group."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def _private_file(path: Path) -> None:
    """An empty file (an empty SQLite database) created readable by its owner only; SQLite
    gives its -wal and -shm files the same permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def password_is_set(config: Config) -> bool:
    """Whether an initialised data folder already has a staff password; creates nothing."""
    path = sqlite_path(config.database_url)
    if path is not None and not path.exists():
        return False
    db = make_database(config)
    try:
        if not inspect(db.engine).has_table("settings"):
            return False
        with db.read() as session:
            return session.get(SettingRow, PASSWORD_KEY) is not None
    finally:
        db.dispose()


def init_desk(config: Config, password: str | None) -> Desk:
    """Create (or upgrade) a data folder: folders, schema, signing secret, staff password."""
    if password is not None:
        problem = passwords.password_problem(password)
        if problem:
            raise ValidationError({"password": problem})
    _private_dir(config.data_dir)
    config.storage_root.mkdir(parents=True, exist_ok=True)
    database = sqlite_path(config.database_url)
    if database is not None and not database.exists():
        _private_file(database)
    store = make_store(config)
    store.ensure_layout()
    db = make_database(config)
    upgrade(db)
    desk = Desk(config, db, store)
    if not desk.get_setting(SECRET_KEY):
        desk.set_setting(SECRET_KEY, tokens.new_secret())
    if password is not None:
        desk.set_password(password)
    return desk


# The values the API takes and returns, so a script needs nothing but core.desk.
__all__ = ["ConcurrencyError", "Desk", "Job", "PrintDeskError", "Status", "SubmissionForm",
           "SubmitResult", "TransitionRefused", "Upload", "ValidationError", "init_desk",
           "open_desk"]
