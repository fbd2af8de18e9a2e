"""What the background worker does, by default: the handlers of queued tasks and the periodic
jobs. Later capabilities (email, sliced files, estimates, backups) add theirs here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.jobs.unit import ESTIMATE_TASK, THUMBNAIL_TASK
from core.jobs.uploads import stale_spool_files
from core.mail.outbox import send_due
from core.mail.reminders import send_reminders
from core.ops.backup import scheduled_backup
from core.ops.cleanup import scheduled_cleanup
from core.worker.estimate import estimate
from core.worker.pickup import SlicedPickup
from core.worker.runner import Handler, Periodic, Worker
from core.worker.thumbnails import make_thumbnail

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

# A spool file belongs to an upload still arriving, or waiting for its model check; waitress
# drops a silent connection after [intake] channel_timeout_s, so an hour without a write means
# the server that owned it was killed.
SPOOL_STALE_S = 3600


def remove_stale_spools(ctx: Context) -> int:
    removed = 0
    for path in stale_spool_files(ctx, max_age_s=SPOOL_STALE_S):
        path.unlink(missing_ok=True)
        removed += 1
        log.info("removed %s, an upload a killed server left behind", path.name)
    return removed


HANDLERS: dict[str, Handler] = {THUMBNAIL_TASK: make_thumbnail, ESTIMATE_TASK: estimate}


def make_worker(ctx: Context, **options: float) -> Worker:
    pickup = SlicedPickup()
    return Worker(ctx, HANDLERS, [
        Periodic("send email", 5, send_due, urgent=True),
        Periodic("pick up sliced files", 2, pickup.scan),
        Periodic("queue reminders", 900, send_reminders),
        Periodic("remove stale uploads", 600, remove_stale_spools),
        Periodic("clean up old jobs", ctx.config.cleanup.every_hours * 3600, scheduled_cleanup),
        # Checked hourly; a backup is made when the newest is [backup] every_hours old.
        Periodic("back up", 3600, scheduled_backup),
    ], slow_kinds=(ESTIMATE_TASK,), **options)
