"""Fixtures: every test gets its own data folder with a real SQLite file, copied from one made
(schema, secret, staff password) once per test process. Helpers live in tests/helpers.py."""

from __future__ import annotations

import os

# Real Qt widgets without a screen; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Config, load_config
from core.config.file import update_config_file
from core.desk import Desk, init_desk, open_desk
from tests.helpers import PASSWORD

# Fixtures of the PostgreSQL server and the console live in their own modules.
pytest_plugins = ["tests.pgserver", "tests.console_helpers"]


@pytest.fixture(scope="session")
def template_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised data folder (migrated schema, signing secret, hashed staff password),
    made once: copying it is far cheaper than migrating and hashing for every test."""
    data = tmp_path_factory.mktemp("template") / "data"
    init_desk(load_config(data_dir=data, env={}), PASSWORD).close()
    # Every test that runs the worker would otherwise slice each upload with the real
    # PrusaSlicer (seconds each, and a version bump under the test's feet); the tests of the
    # estimate turn it back on (tests/test_estimate.py).
    update_config_file(data / "printdesk.toml", "slicing", {"estimate": False})
    # Likewise every worker test would back the folder up at its first run; the backup tests
    # turn it on (tests/test_backup.py).
    update_config_file(data / "printdesk.toml", "backup", {"scheduled": False})
    return data


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def config(data_dir: Path) -> Config:
    return load_config(data_dir=data_dir, env={})


@pytest.fixture
def desk(config: Config, template_data_dir: Path) -> Iterator[Desk]:
    shutil.copytree(template_data_dir, config.data_dir)
    # Read again: the folder's printdesk.toml (copied just now) holds the template's settings.
    opened = open_desk(load_config(data_dir=config.data_dir, env={}))
    yield opened
    opened.close()


# --- intake (Flask test client) ----------------------------------------------------------------

@pytest.fixture
def app(desk: Desk) -> Flask:
    from intake import create_app

    return create_app(desk.config, desk, {"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
