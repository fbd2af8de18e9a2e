"""Per-PC console settings: defaults, round trip, refused values, and a damaged file never crashes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from core.config import Config
from core.console.settings import ConsoleSettings, load_settings, save_settings, settings_path
from core.domain.errors import ValidationError


def test_no_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data")
    assert settings == ConsoleSettings()
    assert dict(settings.slicers) == {} and settings.sound and settings.notifications
    assert settings.idle_lock_minutes is None and settings.timezone is None


def test_round_trip(tmp_path: Path) -> None:
    wanted = ConsoleSettings(slicers={".STL": "/opt/prusa/prusa-slicer", ".form": "C:\\PreForm.exe",
                                      ".obj": "  "},
                             sound=False, notifications=False, idle_lock_minutes=30,
                             timezone="Europe/Berlin")
    stored = save_settings(tmp_path / "data", wanted)

    # Extensions are stored lower-case; an empty program means "use a detected slicer".
    assert dict(stored.slicers) == {".stl": "/opt/prusa/prusa-slicer", ".form": "C:\\PreForm.exe"}
    assert load_settings(tmp_path / "data") == stored
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["console.json"]  # no temp file left


def test_fallbacks_come_from_the_configuration(config: Config) -> None:
    assert ConsoleSettings().idle_minutes(config) == config.limits.idle_lock_minutes
    assert ConsoleSettings().zone(config) == config.lab.timezone
    chosen = ConsoleSettings(idle_lock_minutes=5, timezone="UTC")
    assert (chosen.idle_minutes(config), chosen.zone(config)) == (5, "UTC")


def test_the_slicer_mapping_cannot_be_changed_afterwards() -> None:
    source = {".stl": "/a"}
    settings = ConsoleSettings(slicers=source)
    source[".stl"] = "/b"
    assert settings.slicers[".stl"] == "/a"
    with pytest.raises(TypeError):
        settings.slicers[".stl"] = "/c"  # type: ignore[index]


@pytest.mark.parametrize(("change", "field"), [
    ({"slicers": {"stl": "/a"}}, "slicers"),
    ({"slicers": {"*.stl": "/a"}}, "slicers"),
    ({"slicers": {"../x": "/a"}}, "slicers"),
    ({"slicers": {".stl": "/a\nb"}}, "slicers"),
    ({"idle_lock_minutes": 0}, "idle_lock_minutes"),
    ({"idle_lock_minutes": 1441}, "idle_lock_minutes"),
    ({"idle_lock_minutes": True}, "idle_lock_minutes"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"sound": "yes"}, "sound"),
])
def test_invalid_values_are_refused_by_field(tmp_path: Path, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        save_settings(tmp_path, ConsoleSettings(**change))
    assert list(err.value.errors) == [field]
    assert not settings_path(tmp_path).exists()


def test_the_bounds_are_accepted(tmp_path: Path) -> None:
    assert save_settings(tmp_path, ConsoleSettings(idle_lock_minutes=1)).idle_lock_minutes == 1
    assert save_settings(tmp_path, ConsoleSettings(idle_lock_minutes=1440)).idle_lock_minutes == 1440


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b"null", b""])
def test_a_corrupt_file_gives_defaults_and_a_warning(tmp_path: Path, content: bytes,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    settings_path(tmp_path).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="core.console.settings"):
        assert load_settings(tmp_path) == ConsoleSettings()
    assert "console settings" in caplog.text


def test_one_bad_value_keeps_the_rest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings_path(tmp_path).write_text(json.dumps(
        {"slicers": {".stl": "/a"}, "sound": False, "timezone": "Nowhere/Land", "future_key": 1}))
    with caplog.at_level(logging.WARNING, logger="core.console.settings"):
        settings = load_settings(tmp_path)
    assert settings == ConsoleSettings(slicers={".stl": "/a"}, sound=False)
    assert "timezone" in caplog.text
