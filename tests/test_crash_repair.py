"""A child process is SIGKILLed at each step of a transition or a submission; then repair runs
(at the next start, or through `printdesk doctor --repair`) and everything must agree again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from core.config import Config
from core.desk import Desk, open_desk
from core.domain.statuses import Status
from tests.helpers import ROOT, model, submit

TRANSITION_STEPS = {
    # step: (status the job must end in, repair expected)
    "before_move": (Status.UPLOADED, None),
    "after_move": (Status.UPLOADED, "misplaced_folder"),
    "after_commit": (Status.PENDING, "stale_metadata"),
    "mid_metadata": (Status.PENDING, "stale_metadata"),
    "after_metadata": (Status.PENDING, "stale_metadata"),
}
SUBMIT_STEPS = {
    "submit_mid_copy": False,
    "submit_before_adopt": False,
    "submit_after_adopt": True,  # the folder was complete: the job is recovered, not lost
}


def run_child(config: Config, step: str, *args: str) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "tests.crash_child", str(config.data_dir), step, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


def repair(config: Config, via: str) -> Desk:
    if via == "doctor":
        cli = subprocess.run([sys.executable, "-m", "printdesk", "doctor", "--repair",
                              "--data", str(config.data_dir)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        return open_desk(config, repair=False)
    return open_desk(config)  # start-up repair


def assert_consistent(desk: Desk) -> None:
    """Database, folders and metadata.json agree, nothing is left half-written."""
    assert desk.recovery.run(repair=False, deep=True) == []
    for job in desk.queries.jobs():
        folder = desk.store.root / job.status.value / job.folder_name
        assert desk.store.locate(job.folder_name) == [job.status.value]
        doc = json.loads((folder / "metadata.json").read_text())
        assert doc["job"]["version"] == job.version and doc["job"]["status"] == job.status.value
        assert [e["id"] for e in doc["events"]] == [e.id for e in desk.queries.events(job.id)]
        assert (folder / job.upload_file).read_bytes() == model("20mm-xyz-cube.stl").read_bytes()
        assert list(folder.glob(".metadata-*")) == []
    assert list((desk.store.root / ".incoming").iterdir()) == []


@pytest.mark.parametrize("via", ["start", "doctor"])
@pytest.mark.parametrize("step", list(TRANSITION_STEPS))
def test_killed_mid_transition(config: Config, desk: Desk, step: str, via: str) -> None:
    job = submit(desk).job
    desk.close()
    run_child(config, step, job.id, str(job.version))
    repaired = repair(config, via)
    try:
        status, problem = TRANSITION_STEPS[step]
        fresh = repaired.queries.job(job.id)
        assert fresh.status is status
        repairs = [e for e in repaired.queries.events(job.id) if e.type == "repair"]
        assert [e.details["problem"] for e in repairs] == ([problem] if problem else [])
        assert all(e.actor.value == "system" for e in repairs)
        assert_consistent(repaired)
    finally:
        repaired.close()


@pytest.mark.parametrize("via", ["start", "doctor"])
@pytest.mark.parametrize("step", list(SUBMIT_STEPS))
def test_killed_mid_submission(config: Config, desk: Desk, step: str, via: str) -> None:
    desk.close()
    run_child(config, step, str(model("20mm-xyz-cube.stl")))
    repaired = repair(config, via)
    try:
        jobs = repaired.queries.jobs()
        if SUBMIT_STEPS[step]:
            assert len(jobs) == 1 and jobs[0].status is Status.UPLOADED
            types = [e.type for e in repaired.queries.events(jobs[0].id)]
            assert types == ["submit", "repair"]
        else:
            assert jobs == []
            leftovers = [p for p in repaired.store.root.rglob("*")
                         if p.is_file() and p.suffix != ".lock"]
            assert leftovers == []
        assert_consistent(repaired)
    finally:
        repaired.close()
