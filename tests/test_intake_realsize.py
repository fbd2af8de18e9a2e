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


KEPT_RE = re.compile(r'name="kept_upload" value="([^"]+)"')


def test_a_form_refused_for_a_field_keeps_the_big_upload(desk, models) -> None:
    """The student fixes the class number without sending 25 MB again; the kept file is the one
    that becomes the job's, and nothing is left behind."""
    path = model_of_size(models, "stl", 25)
    spools = desk.store.root / ".incoming"
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        refused = post_model(base, path, "Bracket.stl", fields={"class_number": ""})
        assert refused.status == 400
        page = html.unescape(refused.body)
        assert "Enter your class number" in page
        assert "Bracket.stl" in page and "is already uploaded and kept" in page
        token = KEPT_RE.search(refused.body).group(1)
        assert len(list(spools.iterdir())) == 1  # the spool file, kept

        # Still wrong (another field): kept again, with a fresh token for the same file.
        again = post_model(base, None, fields={"kept_upload": token, "class_number": "",
                                               "consent": "no"})
        assert again.status == 400 and "accept the minimum charge" in html.unescape(again.body)
        token = KEPT_RE.search(again.body).group(1)

        fixed = post_model(base, None, fields={"kept_upload": token,
                                               "class_number": "ARCH 4000"})
        assert fixed.status == 303, re.sub(r"\s+", " ", fixed.body)[:600]
        job = job_from(desk, fixed.location)
        assert (job.original_filename, job.file_sha256) == ("Bracket.stl", sha256(path))
        assert list(spools.iterdir()) == []

        # The token is used up with its file: a replay asks for the file again.
        replay = post_model(base, None, fields={"kept_upload": token})
        assert replay.status == 400 and "Choose the model file again" in html.unescape(replay.body)
        forged = post_model(base, None, fields={"kept_upload": token[:-4] + "AAAA"})
        assert forged.status == 400 and "Choose the model file again" in html.unescape(forged.body)


def test_a_new_file_replaces_the_kept_one_and_old_tokens_expire(desk, models,
                                                                monkeypatch) -> None:
    from core.domain.errors import TokenError
    from core.jobs import kept

    small = model_of_size(models, "stl", 5)
    spools = desk.store.root / ".incoming"
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        refused = post_model(base, small, "First.stl", fields={"student_name": "J"})
        token = KEPT_RE.search(refused.body).group(1)
        [first] = list(spools.iterdir())
        replaced = post_model(base, small, "Second.stl", fields={"kept_upload": token,
                                                                 "student_name": "J"})
        assert replaced.status == 400 and not first.exists()  # only the new one is kept
        token = KEPT_RE.search(replaced.body).group(1)
        assert "Second.stl" in html.unescape(replaced.body)

    # Half an hour later the token no longer opens the file (the worker removes the spool
    # file after an hour without writes, like any other).
    assert desk.workflow.kept_upload(token).original_filename == "Second.stl"
    later = desk.now().timestamp() + kept.KEPT_FOR_S + 1
    monkeypatch.setattr("time.time", lambda: later)  # itsdangerous reads the clock there
    with pytest.raises(TokenError, match="no longer kept"):
        desk.workflow.kept_upload(token)
