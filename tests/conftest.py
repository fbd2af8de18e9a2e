"""Shared fixtures: every test gets its own data folder with a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Config, load_config
from core.desk import Desk, init_desk, open_desk
from core.values import SubmissionForm, SubmitResult, Upload

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "models"
PASSWORD = "lab-password-1"


def model(name: str) -> Path:
    path = MODELS / name
    if not path.exists():
        pytest.fail(f"test model {path} is missing: shared/models must sit beside the checkout")
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
