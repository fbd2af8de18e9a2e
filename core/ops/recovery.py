"""Detect and repair what a crash mid-transition leaves (see core.jobs.unit for the order of steps).

Run at every start (cheap: one listing of the status folders and one query) and by
`printdesk doctor [--repair]` (deep: also reads every metadata.json). Each repair is done under
the job's lock after looking again, so a transition still in progress is waited for, never
"repaired" behind its back, and each repair appends a `repair` event to the job.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from core.domain.statuses import Action, Actor, Status
from core.domain.values import Problem
from core.jobs.records import records_from_metadata
from core.jobs.unit import THUMBNAIL_TASK, Draft, Unchanged, run_unit
from core.jobs.uploads import stale_spool_files
from core.mesh.thumbnails import THUMBNAIL
from storage.filestore import StoreError
from storage.tables import EventRow, JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)


class Recovery:
    def __init__(self, desk: Context) -> None:
        self.desk = desk
        self.store = desk.store

    def run(self, repair: bool, deep: bool = True) -> list[Problem]:
        problems = self._layout(repair) + self._staging(repair)
        with self.desk.db.read() as session:
            rows = session.execute(select(
                JobRow.id, JobRow.short_id, JobRow.folder_name, JobRow.status, JobRow.version,
                JobRow.metadata_version,
            )).all()
        places: dict[str, list[str]] = {}
        for status, name, _path in self.store.iter_job_folders():
            places.setdefault(name, []).append(status)
        for job_id, short_id, name, status, version, meta_version in rows:
            found = places.pop(name, [])
            if not found:
                problems.append(Problem(
                    "missing_folder", job_id,
                    f"Job {short_id}: its folder {name} is in no status folder (the database "
                    f"says {status}). Restore it from a backup.",
                ))
            elif len(found) > 1:
                problems.append(Problem(
                    "duplicate_folder", job_id,
                    f"Job {short_id}: {name} exists in {', '.join(found)}; keep the one in "
                    f"{status}/ and move the other away by hand.",
                ))
            elif found[0] != status:
                problems.append(self._relocate(job_id, short_id, name, repair))
            elif meta_version != version or self._metadata_stale(job_id, status, name, version,
                                                                   deep):
                problems.append(self._rewrite_metadata(job_id, short_id, repair))
        for name, found in places.items():
            problems.append(self._adopt(name, found[0], repair))
        for problem in problems:
            if problem.repaired:
                log.warning("repaired: %s", problem.message)
        return problems

    # --- checks ----------------------------------------------------------------------------

    def _layout(self, repair: bool) -> list[Problem]:
        missing = self.store.missing_folders()
        if not missing:
            return []
        if repair:
            self.store.ensure_layout()
        return [Problem("layout", None, f"Storage folder {n}/ was missing" +
                        (" and was created." if repair else "."), repair) for n in missing]

    def _staging(self, repair: bool) -> list[Problem]:
        problems = []
        for spool in stale_spool_files(self.desk):
            if repair:
                spool.unlink(missing_ok=True)
            problems.append(Problem("stale_upload", None,
                                    f"An upload abandoned mid-transfer was left as {spool.name}"
                                    + ("; removed." if repair else "."), repair))
        for job_id, path in self.store.iter_staging():
            lock = self.store.try_lock(job_id)
            if lock is None:
                continue  # an upload is being written right now
            try:
                if repair:
                    shutil.rmtree(path, ignore_errors=True)
                problems.append(Problem(
                    "interrupted_upload", None,
                    f"An interrupted upload was left in {path.name} (never accepted)"
                    + ("; removed." if repair else "."), repair,
                ))
            finally:
                lock.release()
        return problems

    def _metadata_stale(self, job_id: str, status: str, name: str, version: int,
                        deep: bool) -> bool:
        if not deep:
            # A crash mid-write also leaves metadata_version behind, which the caller checked.
            return False
        folder = self.store.job_dir(status, name)
        if self.store.leftover_temp_files(folder):
            return True
        try:
            doc = self.store.read_metadata(folder)
            return doc["job"]["version"] != version or doc["job"]["status"] != status
        except (StoreError, KeyError, TypeError):
            return True

    # --- repairs: each one a unit (core.jobs.unit), recorded by a `repair` event ----------------

    def _repaired(self, job_id: str, problem: str, text: str) -> Callable[[Draft], None]:
        def note(draft: Draft) -> None:
            draft.event(Action.REPAIR.value, Actor.SYSTEM, {"problem": problem, "repair": text})
        return note

    def _relocate(self, job_id: str, short_id: str, name: str, repair: bool) -> Problem:
        if not repair:
            return Problem("misplaced_folder", job_id,
                           f"Job {short_id}: its folder is not in the status folder the "
                           "database names.")
        done: list[str] = []

        def declare(draft: Draft) -> None:
            row = draft.load()  # looked at again under the lock: a transition may have finished
            found = self.store.locate(name)
            if len(found) != 1 or found[0] == row.status:
                raise Unchanged
            text = f"moved folder {name} from {found[0]}/ to {row.status}/ to match the database"
            draft.move_folder(found[0], row.status)
            self._repaired(job_id, "misplaced_folder", text)(draft)
            done.append(text)

        if not self._run(job_id, declare):
            return Problem("misplaced_folder", job_id,
                           f"Job {short_id}: resolved by a transition in progress.", True)
        return Problem("misplaced_folder", job_id, f"Job {short_id}: {done[0]}.", True)

    def _rewrite_metadata(self, job_id: str, short_id: str, repair: bool) -> Problem:
        if not repair:
            return Problem("stale_metadata", job_id,
                           f"Job {short_id}: metadata.json is behind the database.")

        def declare(draft: Draft) -> None:
            row = draft.load()
            if row.metadata_version == row.version and not self._metadata_stale(
                    job_id, row.status, row.folder_name, row.version, deep=True):
                raise Unchanged
            self._clean(row.status, row.folder_name)
            self._repaired(job_id, "stale_metadata", "rewrote metadata.json from the database")(
                draft)

        if not self._run(job_id, declare):  # the unit writes metadata.json after its commit
            return Problem("stale_metadata", job_id,
                           f"Job {short_id}: resolved by a transition in progress.", True)
        return Problem("stale_metadata", job_id,
                       f"Job {short_id}: metadata.json was behind the database; rewritten.", True)

    def _clean(self, status: str, name: str) -> None:
        for leftover in self.store.leftover_temp_files(self.store.job_dir(status, name)):
            leftover.unlink(missing_ok=True)

    def _adopt(self, name: str, status: str, repair: bool) -> Problem:
        folder = self.store.job_dir(status, name)
        try:
            job, events = records_from_metadata(self.store.read_metadata(folder))
        except (StoreError, KeyError, TypeError, ValueError) as exc:
            return Problem("unknown_folder", None,
                           f"{status}/{name} is not a job in the database and its metadata.json "
                           f"cannot be read ({exc}); move it away or repair the file by hand.",
                           where=f"{status}/{name}")
        if not repair:
            return Problem("unknown_folder", job["id"],
                           f"{status}/{name} holds job {job['short_id']}, which the database "
                           "does not know.")
        text = (f"recovered job {job['short_id']} from {status}/{name}/metadata.json "
                "(its database write had been interrupted)")

        def declare(draft: Draft) -> None:
            if draft.session.get(JobRow, job["id"]) is not None:
                raise Unchanged  # a submission in progress committed meanwhile
            Status(job["status"])  # refuses a status this version does not know
            draft.adopt(job, found_in=status)
            if events:
                draft.session.execute(insert(EventRow.__table__),
                                      [{k: v for k, v in e.items() if k != "id"} for e in events])
            draft.move_folder(status, job["status"])
            if not (folder / THUMBNAIL).is_file() and not any(  # its task was lost with its
                    e["type"] == "purged" for e in events):       # row; a purged job has none
                draft.task(THUMBNAIL_TASK)
            self._clean(status, name)
            self._repaired(job["id"], "unknown_folder", text)(draft)

        try:
            if not self._run(job["id"], declare):
                return Problem("unknown_folder", job["id"],
                               f"{name}: resolved by a submission in progress.", True)
        except IntegrityError as exc:
            return Problem("unknown_folder", job["id"],
                           f"{name} could not be recovered: it clashes with an existing "
                           f"job ({exc.orig}).", where=f"{status}/{name}")
        return Problem("unknown_folder", job["id"], text[0].upper() + text[1:] + ".", True)

    def _run(self, job_id: str, declare: Callable[[Draft], None]) -> bool:
        """Run a repair unit; False when a look under the lock found nothing left to repair."""
        try:
            run_unit(self.desk, job_id, declare)
        except Unchanged:
            return False
        return True

