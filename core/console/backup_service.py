"""The console's backup status and Tools → Back up now (core.ops.backup), called from the
console's worker threads; plain values back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.desk import Desk
from core.ops.backup import BackupResult, LastBackup, last_backup, last_good_backup_at, make_backup

__all__ = ["BackupResult", "BackupService", "BackupState", "LastBackup"]


@dataclass(frozen=True)
class BackupState:
    newest: datetime | None  # the newest good backup anyone made (this PC's folder or the record)
    last: LastBackup | None  # the last attempt, good or failed
    warn_days: int

    def stale(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return self.newest is None or now - self.newest > timedelta(days=self.warn_days)


class BackupService:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def state(self) -> BackupState:
        return BackupState(last_good_backup_at(self.desk), last_backup(self.desk),
                           self.desk.config.backup.warn_days)

    def back_up_now(self) -> BackupResult:
        return make_backup(self.desk)
