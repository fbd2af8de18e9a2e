"""Run one action in a child process and SIGKILL it at a chosen step (used by test_crash_repair).

Usage: python -m tests.crash_child DATA_DIR STEP [JOB_ID VERSION]
Steps hook real functions with wrappers; the production code has no test hooks.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import core.jobs.submit
import core.jobs.unit
import storage.filestore
from core.config import load_config
from core.desk import open_desk
from core.domain.values import SubmissionForm, Upload
from storage.filestore import FileStore


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def before(owner: object, name: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        die()
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def after(owner: object, name: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        die()
        return result

    setattr(owner, name, wrapper)


def mid_copy() -> None:
    original = core.jobs.submit.copy_and_hash

    def wrapper(source: Path, target: Path) -> tuple[int, str]:
        target.write_bytes(source.read_bytes()[:100])
        die()
        return original(source, target)

    core.jobs.submit.copy_and_hash = wrapper


STEPS = {
    # a transition (approve: Uploaded → Pending)
    "before_move": lambda: before(FileStore, "move"),
    "after_move": lambda: after(FileStore, "move"),
    "after_commit": lambda: before(core.jobs.unit, "write_metadata"),
    "mid_metadata": lambda: before(storage.filestore.os, "replace"),
    "after_metadata": lambda: after(FileStore, "write_metadata"),
    # a submission
    "submit_mid_copy": mid_copy,
    "submit_before_adopt": lambda: before(FileStore, "adopt_staging"),
    "submit_after_adopt": lambda: after(FileStore, "adopt_staging"),
}


def main() -> None:
    data_dir, step = sys.argv[1], sys.argv[2]
    desk = open_desk(load_config(data_dir=data_dir, env={}), repair=False)
    STEPS[step]()
    if step.startswith("submit"):
        form = SubmissionForm("Crash Test", "crash@example.edu", "Engineering", "ENGR 1",
                              "Filament", "Blue", "Prusa MK4S", "yes")
        desk.workflow.submit(form, Upload(Path(sys.argv[3]), "model.stl"))
    else:
        desk.workflow.approve(sys.argv[3], int(sys.argv[4]), weight_g="20", print_time_h="1",
                              material="Filament", printer="Prusa MK4S")
    sys.exit("the step was never reached")


if __name__ == "__main__":
    main()
