"""Model checks share a memory budget: bounded by the bytes in flight, not by a fixed count."""

from __future__ import annotations

import threading
import time

from core.mesh.budget import MemoryBudget, analysis_memory
from tests.helpers import model

MB = 1024 * 1024


def run_together(budget: MemoryBudget, amounts: list[int]) -> int:
    """Hold each amount in its own thread for a moment; the most held at once."""
    peak, lock = [0], threading.Lock()
    start = threading.Barrier(len(amounts))

    def work(amount: int) -> None:
        start.wait()
        with budget.hold(amount):
            with lock:
                peak[0] = max(peak[0], budget.used)
            time.sleep(0.05)

    threads = [threading.Thread(target=work, args=(a,)) for a in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert budget.used == 0
    return peak[0]


def test_small_checks_run_together_and_large_ones_queue() -> None:
    budget = MemoryBudget(100 * MB)
    assert run_together(budget, [10 * MB] * 8) == 80 * MB  # all at once
    assert run_together(budget, [60 * MB] * 4) == 60 * MB  # one at a time


def test_a_check_larger_than_the_budget_still_runs_alone() -> None:
    budget = MemoryBudget(100 * MB)
    assert run_together(budget, [500 * MB, 500 * MB]) == 100 * MB


def test_binary_stl_is_budgeted_lower_than_text(tmp_path) -> None:
    binary = model("20mm-xyz-cube.stl")
    size = binary.stat().st_size
    text = tmp_path / "text.stl"
    text.write_bytes(b"solid x\n" + b" " * (size - 8))
    assert analysis_memory(binary, ".stl", size) < analysis_memory(text, ".stl", size)
