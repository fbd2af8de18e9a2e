"""`printdesk cleanup [--days N] [--apply]`: the dry run changes nothing, --apply removes the
files of exactly the jobs it listed, and a purged job stays a normal job everywhere (doctor,
start-up repair, rebuild, the console's open-in-slicer)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from core.config import load_config
from core.config.file import update_config_file
from core.console import slicers
from core.desk import Desk, open_desk
from core.domain.statuses import Status
from core.domain.values import Job
from core.jobs.history import describe
from core.ops.purged import PURGED
from tests.helpers import run_worker_once, submit
from tests.test_cli import printdesk


def finish(desk: Desk, job: Job, status: Status, days_ago: float) -> Job:
    """Move the job into `status` as if staff did it `days_ago` days ago."""
    when = desk.now() - timedelta(days=days_ago)
    past = open_desk(desk.config, repair=False, now=lambda: when)
    try:
        if status is Status.REJECTED:
            past.workflow.reject(job.id, None, ["walls too thin"])
        else:
            past.workflow.override_status(job.id, None, status, "paid at the counter")
    finally:
        past.close()
    return desk.queries.job(job.id)


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def database(desk: Desk) -> list[str]:
    with sqlite3.connect(desk.config.data_dir / "printdesk.db") as conn:
        return list(conn.iterdump())


@pytest.fixture
def lab(desk: Desk) -> dict[str, Job]:
    jobs = {
        "old_rejected": submit(desk, student_name="Old Reject").job,
        "old_picked": submit(desk, "box.obj", student_name="Old Pickup").job,
        "recent_rejected": submit(desk, "7_8ths_cube.stl", student_name="Recent Reject").job,
        "old_printing": submit(desk, "large_block.STL", student_name="Still Printing").job,
    }
    run_worker_once(desk)  # thumbnails
    folder = desk.config.storage_root / "Uploaded" / jobs["old_picked"].folder_name
    (folder / "box_0.2mm_PLA.gcode").write_text("; sliced by staff\nG1 X1\n")
    jobs["old_rejected"] = finish(desk, jobs["old_rejected"], Status.REJECTED, 120)
    jobs["old_picked"] = finish(desk, jobs["old_picked"], Status.PAID_PICKED_UP, 200)
    jobs["recent_rejected"] = finish(desk, jobs["recent_rejected"], Status.REJECTED, 10)
    jobs["old_printing"] = finish(desk, jobs["old_printing"], Status.PRINTING, 300)
    return jobs


def folder_of(desk: Desk, job: Job) -> Path:
    return desk.config.storage_root / job.status.value / job.folder_name


def test_dry_run_changes_nothing_and_apply_purges_exactly_what_it_listed(
        desk: Desk, lab: dict[str, Job]) -> None:
    data, root = str(desk.config.data_dir), desk.config.storage_root
    old = [lab["old_picked"], lab["old_rejected"]]  # oldest first
    kept = [lab["recent_rejected"], lab["old_printing"]]
    sizes = {j.id: sum(p.stat().st_size for p in folder_of(desk, j).iterdir()
                       if p.name != "metadata.json") for j in old}
    before_tree, before_db = tree(root), database(desk)
    before_events = {j.id: desk.queries.events(j.id) for j in lab.values()}

    dry = printdesk("cleanup", "--data", data)
    assert dry.returncode == 0, dry.stderr
    listed = [line.split()[0] for line in dry.stdout.splitlines() if line.startswith("  ")]
    assert listed == [j.short_id.upper() for j in old]
    assert "Old Pickup" in dry.stdout and "Paid & picked up" in dry.stdout
    assert "Old Reject" in dry.stdout and "Recent Reject" not in dry.stdout
    assert "2 job(s)" in dry.stdout and "Nothing was changed" in dry.stdout
    assert f"{sum(sizes.values()) / 1024:.1f} KB to free" in dry.stdout
    assert tree(root) == before_tree and database(desk) == before_db

    applied = printdesk("cleanup", "--apply", "--data", data)
    assert applied.returncode == 0, applied.stderr
    assert [line.split()[0] for line in applied.stdout.splitlines()
            if line.startswith("  ")] == listed
    assert "Removed the files of 2 job(s)" in applied.stdout
    for job in old:
        folder = folder_of(desk, job)
        assert [p.name for p in folder.iterdir()] == ["metadata.json"]
        events = desk.queries.events(job.id)
        assert events[:-1] == before_events[job.id] and events[-1].type == PURGED
        assert describe(events[-1]).startswith("Files removed after 90 days (cleanup)")
        doc = json.loads((folder / "metadata.json").read_text())
        assert doc["events"][-1]["type"] == PURGED and doc["job"]["version"] == \
            desk.queries.job(job.id).version
        assert desk.queries.job(job.id).status is job.status  # the row stays as it was
    after = tree(root)
    for job in kept:  # untouched, file for file
        prefix = f"{job.status.value}/{job.folder_name}/"
        assert {k: v for k, v in after.items() if k.startswith(prefix)} == \
            {k: v for k, v in before_tree.items() if k.startswith(prefix)}
    log = (Path(data) / "logs" / "cli.log").read_text()
    assert f"system purged on job {old[0].short_id.upper()}" in log

    # A purged job is a normal job: doctor, start-up repair and the console's slicer say so.
    doctor = printdesk("doctor", "--data", data)
    assert doctor.returncode == 0, doctor.stdout
    assert "2 job(s) cleaned up, no model expected" in doctor.stdout
    assert desk.recovery.run(repair=False, deep=True) == []
    with pytest.raises(slicers.SlicerError, match=r"files were removed on .* 90 days after"):
        slicers.open_job_in_slicer(desk, desk.queries.job(old[0].id), {}, detected=[])
    again = printdesk("cleanup", "--apply", "--data", data)
    assert again.returncode == 0 and "none: nothing to clean up" in again.stdout

    desk.close()
    rebuilt = printdesk("rebuild", "--data", data)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    reopened = open_desk(load_config(data_dir=data, env={}))
    try:
        assert len(reopened.queries.jobs()) == 4
        for job in old:
            events = reopened.queries.events(job.id)
            assert [e.type for e in events] == [e.type for e in before_events[job.id]] + [PURGED]
        assert printdesk("doctor", "--data", data).returncode == 0
    finally:
        reopened.close()


def test_days_option_and_bad_input(desk: Desk, lab: dict[str, Job]) -> None:
    data = str(desk.config.data_dir)
    wider = printdesk("cleanup", "--days", "5", "--data", data)
    assert wider.returncode == 0 and "3 job(s)" in wider.stdout and "Recent Reject" in wider.stdout
    before = tree(desk.config.storage_root)
    for bad in (["--days", "-1"], ["--days", "soon"]):
        result = printdesk("cleanup", *bad, "--apply", "--data", data)
        assert result.returncode == 2 and "Traceback" not in result.stderr
    assert tree(desk.config.storage_root) == before


def test_scheduled_cleanup_is_off_by_default_and_runs_when_on(desk: Desk,
                                                              lab: dict[str, Job]) -> None:
    old = lab["old_rejected"]
    run_worker_once(desk)
    assert (folder_of(desk, old) / old.upload_file).is_file()
    assert PURGED not in [e.type for e in desk.queries.events(old.id)]
    update_config_file(desk.config.data_dir / "printdesk.toml", "cleanup", {"scheduled": True})
    scheduled = open_desk(load_config(data_dir=desk.config.data_dir, env={}))
    try:
        run_worker_once(scheduled)
    finally:
        scheduled.close()
    assert [p.name for p in folder_of(desk, old).iterdir()] == ["metadata.json"]
    assert desk.queries.events(old.id)[-1].type == PURGED
    recent = lab["recent_rejected"]
    assert (folder_of(desk, recent) / recent.upload_file).is_file()
