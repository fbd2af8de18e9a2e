"""The automatic estimate: the worker slices each new upload with Debian's PrusaSlicer and the
lab's profile for the chosen printer, and offers the result as the quote suggestion; a slicer
that hangs is stopped at the timeout and the job flagged, with nothing else held up."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import load_config
from core.config.file import update_config_file
from core.desk import Desk, open_desk
from core.domain.statuses import Action, Actor
from core.mesh.thumbnails import THUMBNAIL
from core.worker.tasks import make_worker
from tests.helpers import submit

PRUSA = shutil.which("prusa-slicer")
needs_prusaslicer = pytest.mark.skipif(PRUSA is None, reason="Debian's prusa-slicer is not "
                                       "installed (apt-get install prusa-slicer)")


def lab(template: Path, data: Path, **slicing: object) -> Desk:
    shutil.copytree(template, data)
    update_config_file(data / "printdesk.toml", "slicing", {"estimate": True, **slicing})
    return open_desk(load_config(data_dir=data, env={}))


def wait_for(condition, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.fixture
def worker_for() -> Iterator:
    running = []

    def start(desk: Desk):
        worker = make_worker(desk, poll_s=0.2)
        running.append((worker, worker.start_thread()))
        return worker

    yield start
    for worker, thread in running:
        worker.stop()
        thread.join(60)


@needs_prusaslicer
@pytest.mark.slow
def test_a_new_upload_gets_an_estimate_from_the_real_slicer(template_data_dir, tmp_path,
                                                             worker_for) -> None:
    desk = lab(template_data_dir, tmp_path / "data", show_students=True)
    try:
        worker_for(desk)
        job = submit(desk, "7_8ths_cube.stl").job
        took = wait_for(lambda: desk.queries.job(job.id).quote_suggestion is not None, 60)
        suggested = desk.queries.job(job.id).quote_suggestion
        assert "error" not in suggested, suggested
        assert suggested["source"] == "auto" and suggested["slicer"].startswith("PrusaSlicer")
        assert 5 < float(suggested["weight_g"]) < 80  # a 40 mm cube at 15 % infill, in PLA
        assert 0.3 < float(suggested["print_time_h"]) < 10
        assert suggested["cost"] and "the lab's profile for Prusa MK4S" in suggested["text"]
        [event] = [e for e in desk.queries.events(job.id) if e.type == Action.ESTIMATE.value]
        assert event.details["failed"] is False
        print(f"estimate in {took:.1f} s: {suggested['text']}")
        from intake import create_app

        client = create_app(desk.config, desk, {"TESTING": True}).test_client()
        token = desk.queries.status_token(job.id)
        page = client.get(f"/status/{token}").get_data(as_text=True)
        assert "to be confirmed by the lab" in page and f"${suggested['cost']}" in page
    finally:
        desk.close()


def hanging_slicer(tmp_path: Path) -> Path:
    script = tmp_path / "prusa-slicer-hangs"
    script.write_text(f"#!{sys.executable}\nimport time\nprint('slicing…', flush=True)\n"
                      "time.sleep(3600)\n")
    script.chmod(0o755)
    return script


@pytest.mark.slow
def test_a_hanging_slicer_is_stopped_and_the_job_flagged_nothing_else_held(
        template_data_dir, tmp_path, worker_for) -> None:
    script = hanging_slicer(tmp_path)
    desk = lab(template_data_dir, tmp_path / "data", program=str(script), timeout_s=5)
    try:
        worker_for(desk)
        job = submit(desk).job
        folder = desk.store.job_dir("Uploaded", job.folder_name)
        # The thumbnail does not wait behind the slicer: it is drawn while the slicer hangs.
        wait_for(lambda: (folder / THUMBNAIL).is_file(), 20)
        assert desk.queries.job(job.id).quote_suggestion is None
        wait_for(lambda: desk.queries.job(job.id).quote_suggestion is not None, 30)
        suggested = desk.queries.job(job.id).quote_suggestion
        assert suggested["source"] == "auto"
        assert "did not finish within 5 s and was stopped" in suggested["error"]
        found = subprocess.run(["pgrep", "-f", str(script)], capture_output=True)
        assert found.returncode == 1, "the hanging slicer is still running"
        other = submit(desk, student_email="b@example.edu").job  # the queue goes on
        wait_for(lambda: (desk.store.job_dir("Uploaded", other.folder_name) / THUMBNAIL)
                 .is_file(), 20)
    finally:
        desk.close()


@needs_prusaslicer
@pytest.mark.slow
def test_a_model_the_slicer_cannot_slice_is_flagged_with_its_words(template_data_dir, tmp_path
                                                                  ) -> None:
    from core.worker.estimate import estimate

    desk = lab(template_data_dir, tmp_path / "data")
    try:
        job = submit(desk, "large_block.STL", printer="Prusa XL").job  # 4.5 m long
        estimate(desk, job.id)
        suggested = desk.queries.job(job.id).quote_suggestion
        assert suggested["error"].startswith("The slicer could not slice this model")
    finally:
        desk.close()


@needs_prusaslicer
@pytest.mark.slow
def test_staff_sliced_file_is_not_replaced_by_a_late_estimate(template_data_dir, tmp_path
                                                             ) -> None:
    from core.jobs.unit import run_unit
    from core.worker.estimate import estimate

    desk = lab(template_data_dir, tmp_path / "data")
    try:
        job = submit(desk).job
        mine = {"weight_g": "9.99", "print_time_h": "1.00", "source": "file", "text": "staff's"}

        def staff_file(draft) -> None:
            draft.load().quote_suggestion = mine
            draft.event(Action.SLICED_FILE.value, Actor.SYSTEM, {"file": "mine.gcode"})

        run_unit(desk, job.id, staff_file)
        estimate(desk, job.id)
        assert desk.queries.job(job.id).quote_suggestion == mine
    finally:
        desk.close()
