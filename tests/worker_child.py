"""A worker in its own process for the lease tests (test_worker.py).

Usage: python -m tests.worker_child DATA_DIR LOG_FILE LEASE_TTL_S
While it holds the lease it appends "<holder> <time>" to LOG_FILE every 50 ms (a periodic job
like any other), so the test can check that two workers never worked at the same time.
"""

from __future__ import annotations

import sys
import time

from core.config import load_config
from core.desk import open_desk
from core.worker.runner import Periodic, Worker


def main() -> None:
    data, log, ttl = sys.argv[1], sys.argv[2], float(sys.argv[3])
    desk = open_desk(load_config(data_dir=data, env={}))
    worker: Worker

    def probe(_ctx: object) -> None:
        if worker.lease.held():
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"{worker.lease.holder} {time.time():.3f}\n")

    worker = Worker(desk, {}, [Periodic("probe", 0.05, probe)], lease_ttl_s=ttl, poll_s=0.05)
    print(worker.lease.holder, flush=True)
    worker.run()


if __name__ == "__main__":
    main()
