"""Write settings into the lab's configuration file without losing what a person wrote there
(comments, order, other keys): `printdesk init` records the students' address this way."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from core.domain.errors import ConfigError
from storage.filestore import atomic_write_bytes


def update_config_file(path: Path, section: str, values: Mapping[str, Any]) -> None:
    """Set `values` in `[section]` of the TOML file at `path` (created if missing, owner-only:
    it may hold passwords); every other line is kept as it was."""
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() \
            else tomlkit.document()
    except (tomlkit.exceptions.TOMLKitError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML, so it was left alone: {exc}") \
            from None
    table = document.get(section)
    if table is None:
        table = tomlkit.table()
        document[section] = table
    for key, value in values.items():
        table[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    # A new file is owner-only (it may hold passwords); one that exists keeps its mode (on a lab
    # PC the installer shares it with the staff's group on purpose).
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o600
    atomic_write_bytes(path, tomlkit.dumps(document).encode("utf-8"), ".config-", mode=mode)
