"""What students really send, through the real stack: models of tens of megabytes in every
format, posted like a browser to the intake served by waitress (the real multipart path), and
the limits around them. Werkzeug 3.1.5+ once refused every model above ~64 KiB here while every
1 KB test passed; these tests exist so that never happens again."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest

from core.config import load_config
from core.desk import Desk, init_desk, open_desk
from tests.helpers import PASSWORD
from tests.intake_server import serving
from tests.realsize import MIB, model_of_size, post_model, torus, write_binary_stl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("realsize")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def job_from(desk: Desk, location: str):
    token = location.rstrip("/").rsplit("/", 1)[-1]
    return desk.student.status(token).job


@pytest.mark.parametrize(("kind", "megabytes"), [
    ("stl", 5), ("stl", 25), ("stl", 49.2), ("ascii", 20), ("obj", 10), ("3mf", 4),
])
def test_real_size_models_are_accepted_through_the_real_server(desk, models, kind,
                                                                megabytes) -> None:
    path = model_of_size(models, kind, megabytes)
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        reply = post_model(base, path, f"My Part.{path.suffix.lstrip('.')}")
        assert reply.status == 303, re.sub(r"\s+", " ", reply.body)[:600]
        assert "/submitted/" in reply.location
    job = job_from(desk, reply.location)
    assert job.file_size == path.stat().st_size
    assert job.file_sha256 == sha256(path)  # hashed while spooled, and right
    stored = desk.store.job_dir(job.status.value, job.folder_name) / job.upload_file
    assert sha256(stored) == job.file_sha256
    assert job.analysis["watertight"] is True and job.analysis["fits_chosen"] is True
    assert job.analysis["bbox_mm"] == pytest.approx([164.0, 164.0, 44.0], abs=0.2)
    leftovers = list((desk.store.root / ".incoming").iterdir())
    assert leftovers == [], leftovers  # the spool file became the job's file


@pytest.fixture
def small_limit_desk(tmp_path: Path):
    """A lab that accepts at most 2 MB: the limits are tested with small files."""
    config = load_config(data_dir=tmp_path / "data", env={"PRINTDESK_LIMITS_MAX_UPLOAD_MB": "2"})
    init_desk(config, PASSWORD).close()
    desk = open_desk(config)
    yield desk
    desk.close()


def stl_of_bytes(folder: Path, size: int) -> Path:
    """A closed binary STL as close to `size` bytes as the format allows (84 + 50 per face)."""
    path = folder / f"model-{size}.stl"
    vertices, faces = torus(max(8, (size - 84) // 50))
    faces = faces[: (size - 84) // 50]  # exact size; an open surface does not matter here
    write_binary_stl(path, vertices, faces)
    return path


def test_a_file_at_the_limit_is_accepted_and_just_over_it_is_named(small_limit_desk,
                                                                    tmp_path) -> None:
    desk = small_limit_desk
    at_limit = stl_of_bytes(tmp_path, 2 * MIB)
    over = stl_of_bytes(tmp_path, 2 * MIB + 300 * 1024)  # under the body limit, over the file's
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        accepted = post_model(base, at_limit)
        refused = post_model(base, over)
    assert accepted.status == 303
    assert refused.status == 400
    assert "The file is larger than 2 MB." in html.unescape(refused.body)
    assert 'value="Jane Doe"' in refused.body  # the form comes back with what was typed


@pytest.mark.parametrize("extra_mb", [1.5, 6])
def test_a_body_over_the_limit_gets_the_styled_page_naming_the_limit(small_limit_desk, tmp_path,
                                                                     extra_mb) -> None:
    # 1.5 MB over: the app refuses it; 6 MB over: waitress itself does, before the app.
    desk = small_limit_desk
    big = stl_of_bytes(tmp_path, int((2 + extra_mb) * MIB))
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        reply = post_model(base, big)
    assert reply.status == 413
    assert "<h1 id=\"msg-title\">File too large</h1>" in reply.body
    assert "larger than 2 MB, the most the lab accepts" in reply.body
    assert reply.headers.get("Content-Security-Policy", "").startswith("default-src 'self'")
    assert desk.queries.jobs() == []
    assert list((desk.store.root / ".incoming").iterdir()) == []


def test_a_text_field_over_its_own_limit_gets_its_own_message(desk, models) -> None:
    path = model_of_size(models, "stl", 1)
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        reply = post_model(base, path, fields={"class_number": "x" * (2 * MIB)})
    assert reply.status == 413
    assert "A form field is too long" in reply.body and "File too large" not in reply.body
    assert desk.queries.jobs() == []
