"""The console's Tools → Clean up old jobs: what would go, then removing it (core.ops.cleanup).
Called from the console's worker threads; it returns plain values."""

from __future__ import annotations

from core.desk import Desk
from core.ops.cleanup import CleanupPlan, CleanupResult, apply_cleanup, plan_cleanup

__all__ = ["CleanupPlan", "CleanupResult", "CleanupService"]


class CleanupService:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @property
    def retention_days(self) -> int:
        return self.desk.config.limits.retention_days

    def preview(self, days: int | None = None) -> CleanupPlan:
        """The finished jobs past the retention period and the space their files take."""
        return plan_cleanup(self.desk, days)

    def apply(self, plan: CleanupPlan) -> CleanupResult:
        """Remove the files of exactly the jobs `plan` lists (their records stay)."""
        return apply_cleanup(self.desk, plan)
