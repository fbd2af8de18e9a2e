"""How fast the staff console shows its queue with a year's jobs, measured against an empty one.

Run:  .venv/bin/python bench/console_start.py [--jobs 10000] [--large 50000] [--keep DIR]

Builds (or reuses, with --keep) data folders filled by `printdesk demo`'s generator, then, in
one run, opens the real window offscreen for an empty folder and for each full one and measures:
  start      creating the window and unlocking it → the first painted queue (ratio: ÷ empty)
  keystroke  one search keystroke over every job (all tabs), filtering and repainting
  arrival    a job submitted by another process (as the intake does) → its row in the table
Targets (issue 11): start ratio ≤ 1.3, keystroke ≤ 30 ms, arrival ≤ 1 s at 10,000 jobs. One
line of key=value figures per size: the --large size (0: skip) first, the --jobs size last.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from core.config import load_config
from core.console.services import ConsoleServices
from core.desk import init_desk, open_desk
from desktop.app import make_app
from desktop.window import MainWindow
from printdesk.demo import fill_demo

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"


def prepare(folder: Path, jobs: int) -> None:
    config = load_config(data_dir=folder, env={})
    if (folder / "printdesk.db").exists():
        return
    init_desk(config, PASSWORD).close()
    if jobs:
        desk = open_desk(config)
        started = time.perf_counter()
        fill_demo(desk, jobs, workers=min(os.cpu_count() or 1, 4))
        print(f"filled {jobs} jobs in {time.perf_counter() - started:.1f} s")
        desk.close()


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 300.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        app.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not get there in time")
        time.sleep(0.001)


def time_to_queue(app: QApplication, folder: Path) -> tuple[float, MainWindow]:
    desk = open_desk(load_config(data_dir=folder, env={}))
    started = time.perf_counter()
    window = MainWindow(desk, ConsoleServices(desk, detected=[]))
    window.resize(1400, 860)
    window.show()
    wait(app, lambda: window.lock_screen.button.isEnabled())
    window.lock_screen.password.setText(PASSWORD)
    window.lock_screen.submit()
    wait(app, lambda: window.last_updated is not None)
    window.table.viewport().repaint()  # the first painted rows
    return time.perf_counter() - started, window


def keystroke(app: QApplication, window: MainWindow, text: str) -> float:
    window.search.clear()
    app.processEvents()
    started = time.perf_counter()
    window.search.insert(text)  # filtering runs synchronously on the keystroke
    window.table.viewport().repaint()
    return time.perf_counter() - started


def arrival(app: QApplication, window: MainWindow, folder: Path, n: int) -> float:
    """A submission made by another process shows as a row in the open Uploaded tab."""
    script = ("import sys; from core.config import load_config; from core.desk import open_desk;"
              "from tests.helpers import submit;"
              "d = open_desk(load_config(data_dir=sys.argv[1], env={}));"
              "print(submit(d, student_name='Arrival Test', student_email="
              f"'arrival{n}@example.edu').job.id, flush=True); d.close()")
    child = subprocess.Popen([sys.executable, "-c", script, str(folder)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PRINTDESK_SLICING_ESTIMATE": "false"})
    assert child.stdout is not None
    job_id = child.stdout.readline().strip()
    committed = time.perf_counter()  # the child prints after its commit
    wait(app, lambda: window.model.row_of(job_id) is not None, timeout=30)
    seen = time.perf_counter() - committed
    child.wait(timeout=30)
    return seen


def measure(app: QApplication, folder: Path, empty_s: float) -> str:
    full_s, window = time_to_queue(app, folder)
    window.queue.tabs.setCurrentIndex(0)  # Uploaded: where a new submission lands
    wait(app, lambda: window.refresher.index_ready and not window.refresher.busy)
    jobs = sum(window.refresher.overview.counts.values())
    times = [keystroke(app, window, letter) for letter in "aeiostxyz"]
    window.search.clear()
    arrivals = [arrival(app, window, folder, n) for n in range(5)]
    window.close()
    print(f"{jobs} jobs: queue painted in {full_s * 1000:.0f} ms "
          f"({full_s / empty_s:.2f} × empty)")
    print(f"  search keystroke: median {statistics.median(times) * 1000:.1f} ms, "
          f"worst {max(times) * 1000:.1f} ms")
    print(f"  submission → row: median {statistics.median(arrivals):.2f} s, "
          f"worst {max(arrivals):.2f} s")
    return (f"jobs={jobs} start_s={full_s:.3f} start_ratio={full_s / empty_s:.2f} "
            f"search_keystroke_ms={statistics.median(times) * 1000:.1f} "
            f"search_worst_ms={max(times) * 1000:.1f} "
            f"arrival_s={statistics.median(arrivals):.2f} arrival_worst_s={max(arrivals):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=50_000, help="a second size; 0: skip")
    parser.add_argument("--keep", type=Path, help="reuse (or create) the full folders here")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="printdesk-bench-"))
    base = args.keep or scratch
    sizes = [n for n in (args.jobs, args.large) if n]
    try:
        prepare(scratch / "empty", 0)
        for n in sizes:
            prepare(base / f"jobs-{n}", n)
        app = make_app([])
        empty_s, empty_window = time_to_queue(app, scratch / "empty")
        empty_window.close()
        print(f"empty folder: queue painted in {empty_s * 1000:.0f} ms")
        lines = [measure(app, base / f"jobs-{n}", empty_s) for n in sizes]
        # The --large line first, the --jobs line (issue 11's targets) last: the headline.
        for line in lines[::-1]:
            print(f"start_empty_s={empty_s:.3f} {line}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
