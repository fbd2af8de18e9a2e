"""The background worker: a Qt-free runner for periodic and queued work (SPEC §9).

One worker is active at a time across processes and PCs (core.worker.lease). `printdesk intake`
hosts one in a thread by default and `printdesk worker` runs one alone; others wait and take over
when the active one stops or dies. Work comes in two shapes:

* periodic jobs (every N seconds: clean stale spool files, ...), and
* queued tasks: rows of the `tasks` table that a change wrote in its own transaction (a new
  job's thumbnail, ...), handled by the handler registered for their kind, retried with backoff
  and marked failed (error kept) after a few attempts.

Each piece of work runs on its own: an exception is logged and the worker goes on. A queued
task or a periodic job never runs while the lease is not held.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from core.worker.lease import Lease
from storage.tables import TaskRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
RETRY_BASE_S = 30.0  # 30 s, 2 min, 8 min between attempts


@dataclass
class Periodic:
    name: str
    every_s: float
    run: Callable[[Context], object]
    urgent: bool = False  # also run at once when woken (something was just queued)
    last: float = field(default=float("-inf"))


Handler = Callable[["Context", str], object]  # (context, job id)


class Worker:
    def __init__(self, ctx: Context, handlers: Mapping[str, Handler],
                 periodic: list[Periodic] | None = None, *, lease_ttl_s: float = 30.0,
                 poll_s: float = 2.0, slow_kinds: tuple[str, ...] = (),
                 claim_s: float = 600.0) -> None:
        self.ctx = ctx
        self.handlers = dict(handlers)
        self.slow_kinds = slow_kinds
        self.claim_s = claim_s  # longer than any task runs: only then is it tried again
        self._slow_busy = threading.Event()
        self.periodic = list(periodic or [])
        self.lease = Lease(ctx, ttl_s=lease_ttl_s)
        self.poll_s = poll_s
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self.active = threading.Event()  # set while this worker holds the lease
        self.handled = 0  # tasks finished (done or failed), for the tests and the logs

    # --- control -------------------------------------------------------------------------------

    def wake(self) -> None:
        """Something was queued (in this process): look at the queue now, not at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def start_thread(self) -> threading.Thread:
        self.ctx.task_listeners.append(self.wake)
        thread = threading.Thread(target=self.run, name="printdesk-worker", daemon=True)
        thread.start()
        return thread

    def run_once(self) -> int:
        """Do what is due now (periodic jobs and every queued task) and return, if the lease
        can be had; the number of tasks handled. For `printdesk worker --once` and tests."""
        if not self.lease.acquire():
            return 0
        before = self.handled
        try:
            self._run_periodic()
            while self.lease.held() and (self._run_one() or self._run_one(slow=True)):
                pass
        finally:
            self.lease.release()
        return self.handled - before

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        log.info("worker %s started", self.lease.holder)
        heartbeat = threading.Thread(target=self._heartbeat, name="printdesk-lease", daemon=True)
        heartbeat.start()
        try:
            woken = False
            while not self.stop_event.is_set():
                if self.lease.held():
                    self._run_periodic(woken)
                    if self.slow_kinds:
                        self._slow_lane()
                    while not self.stop_event.is_set() and self.lease.held() and self._run_one():
                        pass
                woken = self._wake.wait(self.poll_s)
                self._wake.clear()
        finally:
            self.stop_event.set()
            heartbeat.join(timeout=10)
            self._safely("releasing the lease", self.lease.release)
            self.active.clear()
            log.info("worker %s stopped", self.lease.holder)

    def _heartbeat(self) -> None:
        """Take or renew the lease every third of its life, whatever the loop is busy with."""
        every = self.lease.ttl.total_seconds() / 3
        while not self.stop_event.is_set():
            held = bool(self._safely("renewing the lease", self.lease.acquire))
            if held and not self.active.is_set():
                log.info("worker %s is now the active worker", self.lease.holder)
                self.active.set()
                self._wake.set()
            elif not held and self.active.is_set():
                log.warning("worker %s lost the lease", self.lease.holder)
                self.active.clear()
            self.stop_event.wait(every)

    def _safely(self, what: str, call: Callable[[], object]) -> object:
        try:
            return call()
        except Exception:
            log.exception("worker: %s failed", what)
            return None

    def _run_periodic(self, woken: bool = False) -> None:
        now = time.monotonic()
        for job in self.periodic:
            if now - job.last >= job.every_s or (woken and job.urgent):
                job.last = now
                self._safely(job.name, lambda j=job: j.run(self.ctx))

    def _run_one(self, slow: bool = False) -> bool:
        """Handle the oldest due task of the quick kinds (or, `slow`, of the slow ones); False
        when none is due."""
        task = self._claim(slow)
        if task is None:
            return False
        self._handle(task)
        return True

    def _claim(self, slow: bool) -> TaskRow | None:
        """Take a due task: its next due time moves past its longest run, in a conditional
        write, so a worker that dies while handling it leaves it to be tried again later."""
        now = self.ctx.now()
        kinds = TaskRow.kind.in_(self.slow_kinds)
        with self.ctx.db.write() as session:
            task = session.scalar(select(TaskRow).where(
                TaskRow.state == "queued", TaskRow.due_at <= now, kinds if slow else ~kinds)
                .order_by(TaskRow.due_at, TaskRow.id).limit(1))
            if task is None:
                return None
            claimed = session.execute(
                update(TaskRow).where(TaskRow.id == task.id, TaskRow.due_at == task.due_at)
                .values(due_at=now + timedelta(seconds=self.claim_s))
                .execution_options(synchronize_session=False))
            return task if claimed.rowcount == 1 else None

    def _handle(self, task: TaskRow) -> None:
        handler = self.handlers.get(task.kind)
        error = None
        if handler is None:
            error = f"no handler for tasks of kind {task.kind!r} in this version"
        else:
            try:
                handler(self.ctx, task.job_id or "")
            except Exception as exc:  # isolated: one bad task must not stop the others
                log.exception("worker: task %s (%s) for job %s failed", task.id, task.kind,
                              task.job_id)
                error = "".join(traceback.format_exception_only(exc)).strip()
        self._finish(task, error)

    def _slow_lane(self) -> None:
        """Slow tasks (slicing a model takes a minute) run one at a time beside the loop, so
        thumbnails and emails never wait behind them."""
        if self._slow_busy.is_set():
            return
        task = self._safely("claiming a slow task", lambda: self._claim(slow=True))
        if task is None:
            return
        self._slow_busy.set()

        def run() -> None:
            try:
                self._handle(task)  # type: ignore[arg-type]
            finally:
                self._slow_busy.clear()
                self._wake.set()

        threading.Thread(target=run, name="printdesk-worker-slow", daemon=True).start()

    def _finish(self, task: TaskRow, error: str | None) -> None:
        attempts = task.attempts + 1
        now = self.ctx.now()
        if error is None:
            values = {"state": "done", "attempts": attempts, "finished_at": now}
        elif attempts >= MAX_ATTEMPTS or task.kind in self.slow_kinds:
            # A slow task that failed (a model the slicer cannot slice) would fail again.
            values = {"state": "failed", "attempts": attempts, "finished_at": now,
                      "last_error": error}
        else:
            delay = timedelta(seconds=RETRY_BASE_S * 4 ** (attempts - 1))
            values = {"attempts": attempts, "due_at": now + delay, "last_error": error}
        with self.ctx.db.write() as session:
            session.execute(update(TaskRow).where(TaskRow.id == task.id).values(**values))
        self.handled += 1
