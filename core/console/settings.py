"""Per-PC console preferences (slicer programs, sound, notifications, idle lock, time zone).

They live in `<data folder>/console.json`, beside the configuration but apart from it: each staff
PC has its own slicers and sound preference while sharing the lab's configuration. A damaged
file must never stop the console from starting, so loading falls back to defaults field by field.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain.errors import StorageError, ValidationError
from storage.filestore import atomic_write_bytes

if TYPE_CHECKING:
    from core.config import Config

log = logging.getLogger(__name__)

SETTINGS_FILE = "console.json"
MAX_IDLE_MINUTES = 24 * 60  # the same bounds as config's idle_lock_minutes
_EXTENSION_RE = re.compile(r"^\.[a-z0-9]{1,15}$")


@dataclass(frozen=True)
class ConsoleSettings:
    slicers: Mapping[str, str] = field(default_factory=dict)  # ".stl" -> program path
    sound: bool = True
    notifications: bool = True
    idle_lock_minutes: int | None = None  # None: the configuration's idle_lock_minutes
    timezone: str | None = None  # None: the configuration's lab time zone
    column_widths: tuple[int, ...] = ()  # the queue's columns as staff last sized them

    def __post_init__(self) -> None:
        # A read-only copy, so a caller's dict changed later cannot change a "frozen" value.
        object.__setattr__(self, "slicers", MappingProxyType(dict(self.slicers)))

    def idle_minutes(self, config: Config) -> int:
        chosen = self.idle_lock_minutes
        return config.limits.idle_lock_minutes if chosen is None else chosen

    def zone(self, config: Config) -> str:
        return config.lab.timezone if self.timezone is None else self.timezone


def settings_path(data_dir: Path) -> Path:
    return Path(data_dir) / SETTINGS_FILE


def _slicers(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError("expected a list of file type → program")
    result: dict[str, str] = {}
    for ext, program in value.items():
        key = str(ext).strip().lower()
        if not _EXTENSION_RE.match(key):
            raise ValueError(f"{ext!r} is not a file type like \".stl\"")
        if not isinstance(program, str) or "\x00" in program or "\n" in program:
            raise ValueError(f"the program for {key} must be a path to a program")
        if program.strip():  # an empty entry means "use a detected slicer"
            result[key] = program.strip()
    return result


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected on or off (true/false)")
    return value


def _minutes(value: Any) -> int | None:
    if value is None:
        return None
    # bool is an int in Python; `true` minutes is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_IDLE_MINUTES:
        raise ValueError(f"expected whole minutes from 1 to {MAX_IDLE_MINUTES}")
    return value


def _zone(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not value.strip():
            raise ValueError
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. America/Chicago)") from None
    return value.strip()


def _widths(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 8 <= v <= 2000 for v in value):
        raise ValueError("expected column widths in pixels")
    return tuple(value)


_FIELDS = {"slicers": _slicers, "sound": _flag, "notifications": _flag,
           "idle_lock_minutes": _minutes, "timezone": _zone, "column_widths": _widths}


def _parse(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Checked values and, per field name, why a value was refused. Unknown keys are ignored."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, parse in _FIELDS.items():
        if name in raw:
            try:
                values[name] = parse(raw[name])
            except ValueError as exc:
                errors[name] = str(exc)
    return values, errors


def _as_raw(settings: ConsoleSettings) -> dict[str, Any]:
    return {"slicers": dict(settings.slicers), "sound": settings.sound,
            "notifications": settings.notifications,
            "idle_lock_minutes": settings.idle_lock_minutes, "timezone": settings.timezone,
            "column_widths": list(settings.column_widths)}


def validate_settings(settings: ConsoleSettings) -> ConsoleSettings:
    """The settings with extensions normalised; ValidationError keyed by field when any is wrong."""
    values, errors = _parse(_as_raw(settings))
    if errors:
        raise ValidationError(errors)
    return ConsoleSettings(**values)


def load_settings(data_dir: Path) -> ConsoleSettings:
    """This PC's settings; defaults for a missing file, and for any part that cannot be read."""
    path = settings_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ConsoleSettings()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("console settings %s could not be read (%s); using the defaults", path, exc)
        return ConsoleSettings()
    if not isinstance(raw, dict):
        log.warning("console settings %s is not a JSON object; using the defaults", path)
        return ConsoleSettings()
    values, errors = _parse(raw)
    for name, why in errors.items():
        log.warning("console settings %s: %s: %s; using the default", path, name, why)
    return ConsoleSettings(**values)


def save_settings(data_dir: Path, settings: ConsoleSettings) -> ConsoleSettings:
    """Check and store the settings atomically; returns what was stored (normalised)."""
    clean = validate_settings(settings)
    path = settings_path(data_dir)
    data = json.dumps(_as_raw(clean), indent=2, sort_keys=True).encode("utf-8") + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise StorageError(f"The console settings could not be saved to {path}: {exc}") from exc
    return clean
