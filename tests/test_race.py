"""Two OS processes race the same transition 200 times: one winner each time, never a lock error.

Each round both processes approve the same job (the loser must get ConcurrencyError), then each
writes to a different job at the same moment, so that the database's own write lock is contended
too (the "database is locked" trap of a deferred BEGIN under WAL).
"""

from __future__ import annotations

import multiprocessing as mp
import traceback

import pytest

from core.config import Config, load_config
from core.desk import Desk, open_desk
from core.domain.errors import ConcurrencyError
from core.domain.statuses import Status
from tests.helpers import submit

ROUNDS = 200


def racer(data_dir: str, contested: list[tuple[str, int]], own: str, barrier, results) -> None:
    desk = open_desk(load_config(data_dir=data_dir, env={}), repair=False)
    outcome: list[str] = []
    reviewed = False
    try:
        for job_id, version in contested:
            barrier.wait(timeout=60)
            try:
                desk.workflow.approve(job_id, version, weight_g="10", print_time_h="1",
                                      material="Filament", printer="Prusa MK4S")
                outcome.append("won")
            except ConcurrencyError:
                outcome.append("lost")
            except Exception:
                outcome.append("error: " + traceback.format_exc())
            barrier.wait(timeout=60)
            try:
                job = desk.workflow.mark_reviewed(own, None, reviewed=not reviewed)
                reviewed = job.reviewed
            except Exception:
                outcome.append("error: " + traceback.format_exc())
    finally:
        desk.close()
        results.put(outcome)


@pytest.mark.slow
def test_two_processes_racing_the_same_transition(config: Config, desk: Desk) -> None:
    jobs = [submit(desk, student_email=f"s{n}@example.edu").job for n in range(ROUNDS)]
    own = [submit(desk, student_name=f"Racer {n}", student_email=f"r{n}@example.edu").job.id
           for n in range(2)]
    contested = [(j.id, j.version) for j in jobs]
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=racer, args=(str(config.data_dir), contested, own[n], barrier,
                                             results)) for n in range(2)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    errors = [o for run in outcomes for o in run if o.startswith("error")]
    assert errors == [], errors[0]
    assert all(len(run) == ROUNDS for run in outcomes)
    for a, b in zip(*outcomes, strict=True):
        assert sorted((a, b)) == ["lost", "won"]
    for job in jobs:
        fresh = desk.queries.job(job.id)
        assert fresh.status is Status.PENDING and fresh.version == 2
        assert [e.type for e in desk.queries.events(job.id)] == ["submit", "approve"]
        assert desk.store.locate(job.folder_name) == ["Pending"]
    assert desk.recovery.run(repair=False, deep=True) == []
