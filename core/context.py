"""What every core service works on: the configuration, the database, the file store, and who
is acting (this PC's name, the clock). The public facade, core.desk.Desk, is a Context with the
services on top; the services themselves only know the Context, so nothing imports its way back
to the facade."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import select

from core.config import Config
from core.domain.errors import NotInitialisedError
from core.domain.statuses import STATUS_ORDER
from core.mesh.budget import MemoryBudget
from storage.engine import Database, open_database
from storage.filestore import FileStore
from storage.tables import SettingRow

SECRET_KEY = "secret_key"
PASSWORD_KEY = "staff_password_hash"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    config: Config
    db: Database
    store: FileStore
    machine: str = field(default_factory=socket.gethostname)
    now: Callable[[], datetime] = utcnow
    # (device, inode) of the SQLite file when opened: a file deleted or replaced under a running
    # server is reported by health(), since SQLite would go on using the old one.
    db_identity: tuple[int, int] | None = None
    # Called after a change queued background tasks (a worker in this process wakes up).
    task_listeners: list[Callable[[], None]] = field(default_factory=list)

    def get_setting(self, key: str) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(SettingRow.value).where(SettingRow.key == key))

    def set_setting(self, key: str, value: str) -> None:
        with self.db.write() as session:
            session.merge(SettingRow(key=key, value=value))

    @cached_property
    def secret(self) -> str:
        value = self.get_setting(SECRET_KEY)
        if not value:
            raise NotInitialisedError("This data folder has no signing secret: run `printdesk init`.")
        return value

    @cached_property
    def analysis_budget(self) -> MemoryBudget:
        return MemoryBudget(self.config.limits.analysis_memory_mb * 1024 * 1024)


def make_store(config: Config) -> FileStore:
    return FileStore(config.storage_root, [s.value for s in STATUS_ORDER])


def make_database(config: Config) -> Database:
    return open_database(config.database_url, config.database.sqlite_journal, config.database.busy_timeout_ms)
