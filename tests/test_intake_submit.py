"""The intake's submission form through Flask's test client, against a real store."""

from __future__ import annotations

import html
import io
import json
import re
import time
import tracemalloc
import zipfile

import pytest

from core.desk import Desk
from intake.submit import INTRO
from tests.helpers import form_data, post_form


def stored_files(desk: Desk) -> list[str]:
    """Every file in the storage folder except lock files: a refused upload must add none."""
    root = desk.store.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.suffix != ".lock")


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="err-{field}">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def test_form_shows_every_field_list_and_the_intro_verbatim(client, desk) -> None:
    page = client.get("/").get_data(as_text=True)
    assert html.unescape(page).count(INTRO) == 1
    for text in ("Art", "Landscape Architecture", "Hobby/Personal", "True Red", "Glow in the Dark",
                 "Color Changing", "Formlabs Form 3", "Raise3D Pro 2 Plus", "305 × 305 × 605",
                 "12.0 × 12.0 × 23.8", "Super high resolution and detail",
                 "I understand there is a minimum $3.00 charge for all print jobs, and that the "
                 "final cost may be higher based on material and time.",
                 "scale your model in\n       millimetres before you export it"):
        assert text in html.unescape(page), text
    assert len(re.findall(r'data-method="Filament">', page)) >= 23 + 2
    # Nothing comes from another site: the lab may be offline.
    assert not re.search(r'(src|href)="(https?:)?//', page)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("student_name", "J", "2 to 100 characters"),
    ("student_name", "x" * 101, "2 to 100 characters"),
    ("student_email", "", "Enter your email"),
    ("student_email", "not-an-email", "valid email"),
    ("student_email", "a" * 95 + "@x.edu", "at most 100"),
    ("discipline", "Astrology", "discipline"),
    ("class_number", "", "class number"),
    ("class_number", "C" * 51, "at most 50"),
    ("print_method", "", "print method"),
    ("color", "Black", "filament colors"),
    ("printer", "Formlabs Form 3", "does not print filament"),
    ("printer", "", "Choose a printer"),
    ("consent", "no", "minimum charge"),
])
def test_each_field_error_is_shown_beside_it_and_only_the_upload_is_kept(client, desk, field,
                                                                          value, message) -> None:
    before = stored_files(desk)
    response = post_form(client, **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message.lower() in error_of(page, field).lower()
    if field in ("student_name", "student_email", "class_number"):
        assert f'value="{html.escape(value)}"' in page  # what the student typed is kept
    assert 'value="Jane Doe"' in page or field == "student_name"
    # No job, and one new file: the upload, kept for the corrected form (never a job's file).
    assert desk.queries.jobs() == []
    [kept] = sorted(set(stored_files(desk)) - set(before))
    assert kept.startswith(".incoming/upload-")
    token = re.search(r'name="kept_upload" value="([^"]+)"', page).group(1)
    assert desk.workflow.kept_upload(token).path == desk.store.root / kept


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("model.exe", b"MZ...", "must be one of .stl, .obj, .3mf"),
    ("model.stl", b"this is not a mesh at all\n" * 10, ""),
    ("model.stl", b"", "empty"),
])
def test_bad_files_are_refused_and_leave_nothing(client, desk, filename, content, message) -> None:
    response = post_form(client, model_name=None, filename=filename, content=content)
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), "file")
    assert message in error_of(response.get_data(as_text=True), "file")
    assert desk.queries.jobs() == [] and stored_files(desk) == []


def test_no_file_at_all_still_checks_every_other_field(client, desk) -> None:
    page = post_form(client, model_name=None, student_name="").get_data(as_text=True)
    assert error_of(page, "file") and error_of(page, "student_name")


@pytest.mark.parametrize(("model_name", "overrides"), [
    ("20mm-xyz-cube.stl", {}),
    ("box.obj", {}),
    ("pyramids.3mf", {"printer": "Prusa XL"}),
])
def test_good_models_create_exactly_one_job(client, desk, model_name, overrides) -> None:
    response = post_form(client, model_name=model_name, **overrides)
    assert response.status_code == 303, response.get_data(as_text=True)
    [job] = desk.queries.jobs()
    folder = desk.store.root / "Uploaded" / job.folder_name
    assert sorted(p.name for p in folder.iterdir()) == sorted(["metadata.json", job.upload_file])
    assert json.loads((folder / "metadata.json").read_text())["job"]["analysis"] == job.analysis
    assert [e.type for e in desk.queries.events(job.id)] == ["submit"]
    assert job.analysis and job.analysis["triangles"] > 0
    assert list((desk.store.root / ".incoming").iterdir()) == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert job.short_id.upper() in page and "Model check" in page and "/status/" in page
    assert "What happens next" in page


def test_success_page_warns_about_a_model_that_fits_nothing(client, desk) -> None:
    response = post_form(client, model_name="large_block.STL")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert response.status_code == 303 and "Fits these printers</dt><dd>None" in page
    assert 'class="warning"' in page


def test_csrf_token_missing_is_refused(client, desk) -> None:
    data = form_data(client)
    del data["csrf_token"]
    response = client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "could not be accepted" in response.get_data(as_text=True)
    assert desk.queries.jobs() == [] and stored_files(desk) == []


def test_oversize_upload_is_413_with_nothing_written(app, client, desk) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    response = post_form(client, model_name=None, filename="big.stl", content=b"\0" * 3_000_000)
    assert response.status_code == 413 and "File too large" in response.get_data(as_text=True)
    assert desk.queries.jobs() == [] and stored_files(desk) == []


def test_hostile_names_and_values_are_stored_safely_and_shown_escaped(client, desk) -> None:
    script = "<script>alert('x')</script>"
    response = post_form(client, filename="../../../etc/<img src=x onerror=alert(1)>.stl",
                         student_name=f"Eve {script}", class_number=f"{script}")
    assert response.status_code == 303
    [job] = desk.queries.jobs()
    assert job.student_name == f"Eve {script}"
    assert job.folder_name.startswith("EveScriptalertXScript_")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.stl" in page
    assert (desk.store.root / "Uploaded" / job.folder_name / job.upload_file).is_file()


def test_per_email_limit_of_active_jobs(client, desk) -> None:
    for _ in range(desk.config.limits.max_active_jobs_per_email):
        assert post_form(client, student_email="busy@example.edu").status_code == 303
    response = post_form(client, student_email="BUSY@example.edu")
    assert response.status_code == 400
    assert "already have 5 jobs" in error_of(response.get_data(as_text=True), "student_email")
    assert len(desk.queries.jobs()) == 5
    first = desk.queries.jobs()[0]
    desk.workflow.reject(first.id, first.version, ["duplicate"])
    assert post_form(client, student_email="busy@example.edu").status_code == 303


def test_submissions_are_rate_limited_per_client(app, desk) -> None:
    from intake import create_app

    limited = create_app(desk.config, desk, {"TESTING": True}).test_client()
    codes = [post_form(limited, student_email=f"s{n}@example.edu").status_code for n in range(12)]
    assert codes[:10] == [303] * 10 and codes[10:] == [429, 429]
    assert "Too many submissions" in post_form(limited).get_data(as_text=True)


def test_security_headers_and_styled_errors(app) -> None:
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    client = app.test_client()
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    crashed = client.get("/boom")
    text = crashed.get_data(as_text=True)
    assert crashed.status_code == 500 and "Something went wrong" in text
    assert "Traceback" not in text and "ZeroDivision" not in text


def test_healthz_reports_database_storage_and_disk(client, desk) -> None:
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json == {"status": "ok", "database": "ok",
                                                   "storage": "ok", "disk": "ok"}
    (desk.store.root / ".incoming").rename(desk.store.root / ".incoming-away")
    failing = client.get("/healthz")
    assert failing.status_code == 503 and failing.json["storage"] == "unwritable or unreachable"


def test_healthz_reports_low_disk_space(tmp_path) -> None:
    from core.config import load_config
    from core.desk import init_desk, open_desk
    from intake import create_app

    config = load_config(data_dir=tmp_path / "data",
                         env={"PRINTDESK_LIMITS_MIN_FREE_DISK_MB": str(10**7)})
    init_desk(config, "lab-password-1").close()
    desk = open_desk(config)
    try:
        response = create_app(config, desk, {"TESTING": True}).test_client().get("/healthz")
        assert response.status_code == 503
        assert response.json["disk"].startswith("low: ") and "under 10000000 MB" in response.json["disk"]
    finally:
        desk.close()


def test_healthz_notices_a_missing_or_replaced_database_file(client, desk) -> None:
    import shutil

    path = desk.config.data_dir / "printdesk.db"
    shutil.copy(path, path.with_suffix(".copy"))
    path.rename(path.with_suffix(".away"))
    missing = client.get("/healthz")
    assert missing.status_code == 503 and missing.json["database"].startswith("missing: ")
    path.with_suffix(".copy").rename(path)  # same name, another file
    replaced = client.get("/healthz")
    assert replaced.status_code == 503 and replaced.json["database"].startswith("replaced: ")
    path.unlink()
    path.with_suffix(".away").rename(path)
    assert client.get("/healthz").status_code == 200


def test_theme_colours_come_from_configuration(client) -> None:
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--primary: #461D7C" in css and "--accent: #FDD023" in css



def zip_bomb(size: int = 256 * 1024**2) -> bytes:
    """A .3mf whose one entry inflates to `size` bytes of zeros (a ratio of about 1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("3D/3dmodel.model", "w", force_zip64=True) as entry:
        chunk = b"\0" * (16 * 1024 * 1024)
        for _ in range(size // len(chunk)):
            entry.write(chunk)
    return buffer.getvalue()


@pytest.mark.slow
def test_zip_bomb_3mf_is_refused_fast_with_bounded_memory(client, desk) -> None:
    bomb = zip_bomb()
    tracemalloc.start()
    started = time.perf_counter()
    response = post_form(client, model_name=None, filename="bomb.3mf", content=bomb)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 400
    assert "3MF" in error_of(response.get_data(as_text=True), "file")
    assert elapsed < 5 and peak < 64 * 1024 * 1024, (elapsed, peak)
    assert desk.queries.jobs() == [] and stored_files(desk) == []
