"""Shared fixtures: every test gets its own data folder with a real SQLite file."""

from __future__ import annotations

import os

# Real Qt widgets without a screen; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import io
import re
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Config, load_config
from core.desk import Desk, init_desk, open_desk
from core.domain.values import SubmissionForm, SubmitResult, Upload

# Fixtures of the PostgreSQL server and the console live in their own modules.
pytest_plugins = ["tests.pgserver", "tests.console_helpers"]

ROOT = Path(__file__).resolve().parent.parent
# Copies of real-world models (trimesh project, MIT: tests/models/LICENSE-trimesh-models.md):
# a fresh clone runs its tests alone.
MODELS = ROOT / "tests" / "models"
PASSWORD = "lab-password-1"


def model(name: str) -> Path:
    path = MODELS / name
    if not path.exists():
        pytest.fail(f"test model {path} is missing from tests/models")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def config(data_dir: Path) -> Config:
    return load_config(data_dir=data_dir, env={})


@pytest.fixture
def desk(config: Config) -> Iterator[Desk]:
    init_desk(config, PASSWORD).close()
    opened = open_desk(config)
    yield opened
    opened.close()


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


# --- intake (Flask test client) ----------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(desk: Desk) -> Flask:
    from intake import create_app

    return create_app(desk.config, desk, {"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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
