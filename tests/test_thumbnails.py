"""core.mesh.thumbnails: headless PNG thumbnails and the job folder's thumbnail.png."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from core.desk import Desk
from core.mesh.analysis import ModelRejected
from core.mesh.thumbnails import THUMBNAIL, ThumbnailError, render_thumbnail
from core.worker.thumbnails import make_thumbnail
from tests.helpers import model, submit

PNG = b"\x89PNG\r\n\x1a\n"


def opened(data: bytes) -> Image.Image:
    assert data.startswith(PNG)
    return Image.open(io.BytesIO(data)).convert("RGBA")


def assert_drawn(image: Image.Image) -> None:
    """Not blank: a good share of the pixels is the model, shaded in several tones."""
    pixels = np.asarray(image)
    drawn = pixels[..., 3] > 200
    assert 0.1 < drawn.mean() < 0.95
    assert (pixels[0, 0] == 0).all()  # the corners are background (transparent)
    tones = np.unique(pixels[drawn][:, :3] // 16, axis=0)
    assert len(tones) >= 3  # flat shading: faces turned differently differ


@pytest.mark.parametrize("name", ["20mm-xyz-cube.stl", "pyramids.3mf", "counterX.3MF",
                                  "teapot.stl", "rabbit.obj"])
def test_renders_a_shaded_png(name: str) -> None:
    path = model(name)
    image = opened(render_thumbnail(path, path.suffix))
    assert image.size == (256, 256)
    assert_drawn(image)


def test_size_is_honoured() -> None:
    image = opened(render_thumbnail(model("20mm-xyz-cube.stl"), ".stl", size=96))
    assert image.size == (96, 96)
    assert_drawn(image)


def test_model_is_centred() -> None:
    pixels = np.asarray(opened(render_thumbnail(model("7_8ths_cube.stl"), "stl")))
    rows, cols = np.nonzero(pixels[..., 3] > 0)
    assert abs((rows.min() + rows.max()) / 2 - 128) < 6
    assert abs((cols.min() + cols.max()) / 2 - 128) < 6


@pytest.mark.slow
def test_a_large_model_is_simplified_and_fast(tmp_path: Path) -> None:
    path = tmp_path / "sphere.stl"
    sphere = trimesh.creation.icosphere(7, 30)  # 327,680 triangles
    path.write_bytes(sphere.export(file_type="stl"))
    started = time.perf_counter()
    image = opened(render_thumbnail(path, ".stl"))
    assert time.perf_counter() - started < 5  # ~0.5 s on a lab PC; generous for loaded CI
    assert_drawn(image)


def test_unreadable_or_empty_models_raise_for_the_caller(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.stl"
    garbage.write_bytes(b"solid x\nfacet normal nonsense\n" * 3)
    for path in (garbage, model("empty.stl"), model("emptyIO_stl_empty_bin.stl"), model("empty.obj")):
        with pytest.raises((ModelRejected, ThumbnailError)):
            render_thumbnail(path, path.suffix)


def test_make_thumbnail_writes_once_into_the_job_folder(desk: Desk) -> None:
    job = submit(desk).job
    path = make_thumbnail(desk, job.id)
    folder = desk.store.job_dir(job.status.value, job.folder_name)
    assert path == folder / THUMBNAIL
    assert_drawn(opened(path.read_bytes()))
    written = path.stat().st_mtime_ns
    assert make_thumbnail(desk, job.id) == path
    assert path.stat().st_mtime_ns == written  # idempotent: not rendered again
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [job.upload_file, "metadata.json", THUMBNAIL])  # no temp files left behind


def test_make_thumbnail_follows_a_job_that_moved(desk: Desk) -> None:
    stale = submit(desk).job
    desk.workflow.approve(stale.id, stale.version, weight_g=10, print_time_h=1,
                          material="Filament", printer="Prusa MK4S")
    path = make_thumbnail(desk, stale.id)
    assert path == desk.store.job_dir("Pending", stale.folder_name) / THUMBNAIL
    assert path.is_file()
    assert not (desk.store.status_dir("Uploaded") / stale.folder_name).exists()


def test_make_thumbnail_on_an_unrenderable_file_is_none(desk: Desk) -> None:
    job = submit(desk).job
    folder = desk.store.job_dir(job.status.value, job.folder_name)
    (folder / job.upload_file).write_bytes(b"this is not a mesh")  # damaged on disk
    assert make_thumbnail(desk, job.id) is None
    assert not (folder / THUMBNAIL).exists()


def test_make_thumbnail_on_a_missing_file_fails_for_the_worker_to_retry(desk: Desk) -> None:
    # A missing file may be a network share gone for a moment: the worker's task fails and is
    # retried later (and shown as failed, with the error, if it stays so).
    job = submit(desk).job
    folder = desk.store.job_dir(job.status.value, job.folder_name)
    (folder / job.upload_file).unlink()
    with pytest.raises(OSError):
        make_thumbnail(desk, job.id)


def test_drawing_holds_no_lock_so_staff_actions_go_on(desk: Desk, monkeypatch) -> None:
    """The job's lock is held only to read the model and to write the picture: an action on
    the job while the worker draws goes through at once, and the picture lands in the job's
    new folder."""
    import threading

    import core.worker.thumbnails as worker_thumbnails

    job = submit(desk).job
    drawing, go = threading.Event(), threading.Event()
    real = worker_thumbnails.render_mesh

    def slow_render(*args, **kwargs):
        drawing.set()
        assert go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_thumbnails, "render_mesh", slow_render)
    result: list = []
    thread = threading.Thread(target=lambda: result.append(make_thumbnail(desk, job.id)))
    thread.start()
    assert drawing.wait(30)
    desk.store.lock_timeout = 2  # were the lock held, this approve would fail after 2 s
    moved = desk.workflow.approve(job.id, job.version, weight_g=10, print_time_h=1,
                                  material="Filament", printer="Prusa MK4S")
    go.set()
    thread.join(30)
    assert moved.status.value == "Pending"
    assert result == [desk.store.job_dir("Pending", job.folder_name) / THUMBNAIL]
    assert result[0].is_file()
