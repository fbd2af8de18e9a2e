"""The background worker: queued tasks and periodic jobs, each isolated, and exactly one worker
active across processes (a lease in the database that a dead worker stops renewing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.desk import Desk
from core.jobs.unit import THUMBNAIL_TASK
from core.mesh.thumbnails import THUMBNAIL
from core.worker.lease import Lease, lease_info
from core.worker.runner import MAX_ATTEMPTS, Periodic, Worker
from core.worker.tasks import make_worker
from storage.tables import TaskRow
from tests.helpers import ROOT, submit


def tasks(desk: Desk) -> list[tuple[str, str, int, str | None]]:
    with desk.db.read() as session:
        return [(t.kind, t.state, t.attempts, t.last_error)
                for t in session.scalars(select(TaskRow).order_by(TaskRow.id))]


def test_the_worker_draws_the_thumbnail_of_a_new_job(desk: Desk) -> None:
    job = submit(desk).job
    folder = desk.store.job_dir(job.status.value, job.folder_name)
    assert not (folder / THUMBNAIL).exists()  # submitting never draws it
    assert make_worker(desk).run_once() == 1
    assert (folder / THUMBNAIL).is_file()
    assert tasks(desk) == [(THUMBNAIL_TASK, "done", 1, None)]
    assert desk.queries.thumbnail(job.id) == (folder / THUMBNAIL).read_bytes()


def test_a_failing_task_is_retried_with_backoff_then_failed_and_others_go_on(desk: Desk) -> None:
    first, second = submit(desk).job, submit(desk, student_email="b@example.edu").job
    calls: list[str] = []

    def flaky(ctx: Desk, job_id: str) -> None:
        calls.append(job_id)
        if job_id == first.id:
            raise RuntimeError("the share is away")

    worker = Worker(desk, {THUMBNAIL_TASK: flaky})
    assert worker.run_once() == 2  # the failure did not stop the second task
    assert tasks(desk) == [(THUMBNAIL_TASK, "queued", 1, "RuntimeError: the share is away"),
                           (THUMBNAIL_TASK, "done", 1, None)]
    assert worker.run_once() == 0  # not due again yet: backoff
    for _attempt in range(2, MAX_ATTEMPTS + 1):
        with desk.db.write() as session:  # time passes
            session.execute(update(TaskRow).values(due_at=desk.now() - timedelta(seconds=1)))
        assert worker.run_once() == 1
    assert tasks(desk)[0][:3] == (THUMBNAIL_TASK, "failed", MAX_ATTEMPTS)
    assert calls.count(first.id) == MAX_ATTEMPTS and calls.count(second.id) == 1


def test_a_failing_periodic_job_does_not_stop_the_others(desk: Desk) -> None:
    ran: list[str] = []

    def broken(_ctx: Desk) -> None:
        ran.append("broken")
        raise RuntimeError("boom")

    worker = Worker(desk, {}, [Periodic("broken", 60, broken),
                               Periodic("fine", 60, lambda _c: ran.append("fine"))])
    worker.run_once()
    assert ran == ["broken", "fine"]


def test_stale_spool_files_are_removed(desk: Desk) -> None:
    from core.jobs.uploads import new_spool_file

    old, fresh = new_spool_file(desk), new_spool_file(desk)
    old.close()
    fresh.close()
    os.utime(old.name, (time.time() - 7200, time.time() - 7200))
    make_worker(desk).run_once()
    assert not Path(old.name).exists() and Path(fresh.name).exists()


def test_a_worker_in_a_thread_wakes_when_a_job_is_submitted_and_stops_cleanly(desk: Desk) -> None:
    worker = make_worker(desk, poll_s=30)  # only the wake-up can make it this fast
    thread = worker.start_thread()
    try:
        assert worker.active.wait(10)
        job = submit(desk).job
        folder = desk.store.job_dir(job.status.value, job.folder_name)
        deadline = time.monotonic() + 10
        while not (folder / THUMBNAIL).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (folder / THUMBNAIL).is_file()
        info = lease_info(desk)
        assert info is not None and info.alive(desk.now()) and info.machine == desk.machine
    finally:
        worker.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert not lease_info(desk).alive(desk.now())  # released at once on a clean stop


def test_only_one_lease_holder_and_expiry_lets_another_take_over(desk: Desk) -> None:
    one, two = Lease(desk, ttl_s=30), Lease(desk, ttl_s=30)
    assert one.acquire() and one.held()
    assert not two.acquire() and not two.held()
    assert one.acquire()  # renewing
    real = desk.now
    desk.now = lambda: real() + timedelta(seconds=31)  # one stopped renewing 31 s ago
    try:
        assert not one.held()  # it stops acting before anyone else may start
        assert two.acquire() and two.held()
        assert not one.acquire()
    finally:
        desk.now = real


def start_child(desk: Desk, log: Path, ttl: float) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-m", "tests.worker_child",
                              str(desk.config.data_dir), str(log), str(ttl)],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return child


def holders(log: Path) -> list[tuple[str, float]]:
    if not log.exists():
        return []
    return [(h, float(t)) for h, t in (line.split() for line in log.read_text().splitlines())]


def wait_for(condition, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.mark.slow
def test_two_worker_processes_one_dies_the_other_takes_over_never_both(desk: Desk,
                                                                       tmp_path: Path) -> None:
    ttl = 3.0  # the product uses 30 s; the rule is the same, the test is quicker
    log = tmp_path / "active.log"
    first = start_child(desk, log, ttl)
    second = None
    try:
        a = first.stdout.readline().strip()
        wait_for(lambda: any(h == a for h, _ in holders(log)), 20)
        second = start_child(desk, log, ttl)
        b = second.stdout.readline().strip()
        time.sleep(ttl * 2)  # the second waits while the first lives
        assert {h for h, _ in holders(log)} == {a}
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.time()
        waited = wait_for(lambda: any(h == b for h, _ in holders(log)), ttl * 5)
        assert waited <= ttl * 2 + 1  # expiry plus one look (the product: within a minute)
        time.sleep(1)
    finally:
        for child in (first, second):
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(10)
    entries = holders(log)
    last_a = max(t for h, t in entries if h == a)
    first_b = min(t for h, t in entries if h == b)
    assert last_a < killed_at <= first_b  # never both at once
    assert [h for h, _ in entries] == sorted((h for h, _ in entries), key=lambda h: h != a)


def test_printdesk_worker_once_handles_what_is_queued(desk: Desk) -> None:
    job = submit(desk).job
    result = subprocess.run([sys.executable, "-m", "printdesk", "worker", "--once", "--data",
                             str(desk.config.data_dir)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith("PRINTDESK_")})
    assert result.returncode == 0, result.stderr
    assert "Handled 1 queued task(s)." in result.stdout
    assert (desk.store.job_dir("Uploaded", job.folder_name) / THUMBNAIL).is_file()


@pytest.mark.slow
def test_printdesk_intake_hosts_the_worker(desk: Desk) -> None:
    """The intake runs the worker by default: a student's upload gets its thumbnail within
    seconds, with nothing else running; `--no-worker` leaves it to another process."""
    from tests.helpers import free_port
    from tests.realsize import post_model

    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    for extra, expect_thumbnail in (([], True), (["--no-worker"], False)):
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "printdesk", "intake", "--data",
                                   str(desk.config.data_dir), "--port", str(port), *extra],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert "PrintDesk intake" in server.stdout.readline()
            reply = post_model(f"http://127.0.0.1:{port}", ROOT / "tests/models/teapot.stl",
                               fields={"student_email": f"w{port}@example.edu"})
            assert reply.status == 303
            job = desk.student.status(reply.location.rsplit("/", 1)[1]).job
            folder = desk.store.job_dir(job.status.value, job.folder_name)
            if expect_thumbnail:
                wait_for(lambda f=folder: (f / THUMBNAIL).is_file(), 20)
            else:
                time.sleep(2)
                assert not (folder / THUMBNAIL).exists()
        finally:
            server.send_signal(signal.SIGTERM)  # a service manager's stop request
            assert server.wait(30) == 0

