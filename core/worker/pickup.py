"""Sliced files staff save into a job's folder (SPEC §6): the worker's scan finds them, waits
until a file has stopped changing (a slicer writes a big G-code over seconds), then makes it the
job's authoritative file — the one "Open in slicer" opens — records a `sliced_file` event, and
offers the weight and time the slicer wrote as the job's quote suggestion. A file it cannot read
is still attached (it may be a PreForm project), without values. The console's folder watcher
only hints that the view should refresh; this scan is what acts.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.domain.statuses import ACTIVE_STATUSES, Action, Actor
from core.jobs.suggestions import read_values
from core.jobs.unit import Draft, Unchanged, run_unit
from core.sliced import is_sliced_name
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

STABLE_S = 2.0  # unchanged size and time for this long: the slicer has finished writing


@dataclass(frozen=True)
class Seen:
    size: int
    mtime_ns: int
    since: float  # monotonic time this size and mtime were first seen


class SlicedPickup:
    """One per worker: remembers what it saw at its last look (files still being written)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], Seen] = {}

    def scan(self, ctx: Context) -> int:
        """Look at the active jobs' folders; pick up every sliced file that is new (or was
        replaced) and has stopped changing. The number picked up."""
        with ctx.db.read() as session:
            jobs = session.execute(select(JobRow.id, JobRow.status, JobRow.folder_name,
                                          JobRow.upload_file)
                                   .where(JobRow.status.in_([s.value for s in ACTIVE_STATUSES]))
                                   ).all()
        now, picked, present = time.monotonic(), 0, set()
        for job_id, status, folder_name, upload in jobs:
            folder = ctx.store.job_dir(status, folder_name)
            for name, size, mtime_ns in _candidates(folder, upload):
                key = (job_id, name)
                present.add(key)
                seen = self.seen.get(key)
                if seen is None or (seen.size, seen.mtime_ns) != (size, mtime_ns):
                    self.seen[key] = Seen(size, mtime_ns, now)
                    continue
                if now - seen.since < STABLE_S or time.time() - mtime_ns / 1e9 < STABLE_S:
                    continue
                if attach(ctx, job_id, folder / name, size, mtime_ns):
                    picked += 1
        self.seen = {k: v for k, v in self.seen.items() if k in present}
        return picked


def _candidates(folder: Path, upload: str) -> list[tuple[str, int, int]]:
    try:
        with os.scandir(folder) as entries:
            found = [(e.name, e.stat()) for e in entries if e.is_file(follow_symlinks=False)
                     and e.name != upload and not e.name.startswith(".")
                     and is_sliced_name(e.name)]
    except OSError:  # the folder moved meanwhile: the next look finds it in its new place
        return []
    return [(name, st.st_size, st.st_mtime_ns) for name, st in found]


def _known(draft: Draft, name: str) -> list[dict[str, Any]]:
    return [d for d in draft.session.scalars(select(EventRow.details).where(
        EventRow.job_id == draft.job_id, EventRow.type == Action.SLICED_FILE.value))
        if d.get("file") == name]


def attach(ctx: Context, job_id: str, path: Path, size: int, mtime_ns: int) -> bool:
    """Make `path` the job's authoritative file with what it says, as one unit; False when this
    very file (same size and time) was attached before."""
    with ctx.db.read() as session:
        method, printer = session.execute(select(JobRow.print_method, JobRow.printer)
                                          .where(JobRow.id == job_id)).one()
    details, offered = read_values(ctx, path, method, printer)

    def declare(draft: Draft) -> None:
        row = draft.load()
        if any(d.get("size") == size and d.get("mtime_ns") == mtime_ns
               for d in _known(draft, path.name)):
            raise Unchanged
        row.authoritative_file = path.name  # the newest sliced file wins
        if offered is not None:
            row.quote_suggestion = offered
        draft.event(Action.SLICED_FILE.value, Actor.SYSTEM,
                    {"file": path.name, "size": size, "mtime_ns": mtime_ns, **details})

    try:
        run_unit(ctx, job_id, declare)
    except Unchanged:
        return False
    log.info("job %s: picked up %s (%s)", job_id, path.name,
             offered["text"] if offered else details.get("error", "no values"))
    return True

