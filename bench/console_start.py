"""How fast the staff console shows its queue with 10,000 jobs, measured against an empty one.

Run:  .venv/bin/python bench/console_start.py [--jobs 10000] [--keep DIR]

Builds (or reuses, with --keep) a data folder filled by `printdesk demo`'s generator, then, in
one run, opens the real window offscreen for an empty folder and for the full one: time from
creating the window and unlocking it to the first painted queue. Then types into the search box
over the full queue and times one keystroke's filtering. The last line holds the headline figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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

PASSWORD = "bench-password"


def prepare(folder: Path, jobs: int) -> None:
    config = load_config(data_dir=folder, env={})
    if (folder / "printdesk.db").exists():
        return
    init_desk(config, PASSWORD).close()
    if jobs:
        desk = open_desk(config)
        started = time.perf_counter()
        fill_demo(desk, jobs, workers=2)
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="reuse (or create) the full data folder here")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="printdesk-bench-"))
    full = args.keep or scratch / "full"
    try:
        prepare(scratch / "empty", 0)
        prepare(full, args.jobs)
        app = make_app([])
        empty_s, empty_window = time_to_queue(app, scratch / "empty")
        empty_window.close()
        full_s, window = time_to_queue(app, full)
        rows = window.model.rowCount()
        times = [keystroke(app, window, letter) for letter in "aeiostxyz"]
        window.close()
        print(f"empty folder: queue painted in {empty_s * 1000:.0f} ms")
        print(f"{rows} jobs: queue painted in {full_s * 1000:.0f} ms")
        print(f"search keystroke over {rows} jobs: median {statistics.median(times) * 1000:.1f} ms,"
              f" worst {max(times) * 1000:.1f} ms")
        print(f"start_empty_s={empty_s:.3f} start_full_s={full_s:.3f} "
              f"start_ratio={full_s / empty_s:.1f} jobs={rows} "
              f"search_keystroke_ms={statistics.median(times) * 1000:.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
