"""Helpers the tests share: paths, the test models, a valid form, submitting, the worker.
Fixtures live in conftest.py (and the plugin modules it names); everything else is here."""

from __future__ import annotations

import io
import re
import socket
from dataclasses import asdict
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.desk import Desk
from core.domain.values import SubmissionForm, SubmitResult, Upload
from core.worker.tasks import make_worker

ROOT = Path(__file__).resolve().parent.parent
# Copies of real-world models (trimesh project, MIT: tests/models/LICENSE-trimesh-models.md):
# a fresh clone runs its tests alone.
MODELS = ROOT / "tests" / "models"
PASSWORD = "lab-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def model(name: str) -> Path:
    path = MODELS / name
    if not path.exists():
        pytest.fail(f"test model {path} is missing from tests/models")
    return path


def form(**overrides: str) -> SubmissionForm:
    values = {
        "student_name": "Jane Doe",
        "student_email": "jane.doe@example.edu",
        "discipline": "Architecture",
        "class_number": "ARCH 4000",
        "print_method": "Filament",
        "color": "Blue",
        "printer": "Prusa MK4S",
        "consent": "yes",
    }
    values.update(overrides)
    return SubmissionForm(**values)


def submit(desk: Desk, model_name: str = "20mm-xyz-cube.stl", filename: str | None = None,
           **overrides: str) -> SubmitResult:
    path = model(model_name)
    return desk.workflow.submit(form(**overrides), Upload(path, filename or path.name))


def run_worker_once(desk: Desk) -> int:
    """What the background worker would do next, done now: thumbnails of new jobs and so on."""
    return make_worker(desk).run_once()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the intake through Flask's test client ---------------------------------------------------

def csrf_token(client: FlaskClient, path: str = "/") -> str:
    found = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def form_data(client: FlaskClient, model_name: str | None = "20mm-xyz-cube.stl",
              filename: str | None = None, content: bytes | None = None,
              **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {**asdict(form(**overrides)), "csrf_token": csrf_token(client)}
    if content is not None or model_name is not None:
        payload = content if content is not None else model(model_name).read_bytes()
        data["file"] = (io.BytesIO(payload), filename or model_name or "model.stl")
    return data


def post_form(client: FlaskClient, **kwargs: object):
    return client.post("/", data=form_data(client, **kwargs),
                       content_type="multipart/form-data")
