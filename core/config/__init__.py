"""Configuration: built-in defaults, a TOML file, then `PRINTDESK_<SECTION>_<KEY>` overrides.

Where the file is looked up:
  1. `--config FILE` or `PRINTDESK_CONFIG`;
  2. with an explicit data folder (`--data DIR` / `PRINTDESK_DATA`): `DIR/printdesk.toml` only, so
     scripts and tests never pick up the real lab's settings;
  3. otherwise `printdesk.toml` in the platform's user config folder, if it exists.

The keys themselves are declared once, in core/config/sections.py.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import platformdirs

from core.config.address import base_url_for
from core.config.keys import check_base_url, keys_of
from core.config.sections import (
    SECTIONS,
    TABLES,
    Backup,
    Cleanup,
    Database,
    Email,
    Intake,
    Lab,
    Limits,
    Logs,
    Method,
    Paths,
    Pricing,
    Printer,
    Slicing,
    Smtp,
    parse_densities,
    parse_disciplines,
    parse_methods,
    parse_printers,
)
from core.domain import defaults
from core.domain.errors import ConfigError

__all__ = ["APP_NAME", "CONFIG_NAME", "Config", "ConfigError", "Method", "Pricing", "Printer",
           "check_base_url", "default_data_dir", "load_config"]

APP_NAME = "PrintDesk"
CONFIG_NAME = "printdesk.toml"


@dataclass(frozen=True)
class Config:
    """The lab's settings, section by section, and what follows from them."""

    data_dir: Path
    storage_root: Path  # effective: [paths] storage_root, or <data folder>/storage
    database_url: str  # effective: [database] url, or the SQLite file in the data folder
    base_url: str  # effective: [intake] base_url, or derived from host and port
    lab: Lab = field(default_factory=Lab)
    paths: Paths = field(default_factory=Paths)
    database: Database = field(default_factory=Database)
    limits: Limits = field(default_factory=Limits)
    intake: Intake = field(default_factory=Intake)
    pricing: Pricing = field(default_factory=Pricing)
    smtp: Smtp = field(default_factory=Smtp)
    email: Email = field(default_factory=Email)
    slicing: Slicing = field(default_factory=Slicing)
    backup: Backup = field(default_factory=Backup)
    cleanup: Cleanup = field(default_factory=Cleanup)
    logs: Logs = field(default_factory=Logs)
    densities: Mapping[str, Decimal] = field(default_factory=lambda: parse_densities(None))
    methods: tuple[Method, ...] = ()
    printers: tuple[Printer, ...] = ()
    disciplines: tuple[str, ...] = defaults.DISCIPLINES
    config_file: Path | None = None  # the file read, if any
    # Where the file is read from (or would be, when it does not exist yet): the file
    # `printdesk init` writes the students' address into.
    config_target: Path | None = None
    upload_extensions: tuple[str, ...] = defaults.UPLOAD_EXTENSIONS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url_set(self) -> bool:
        """Whether the students' address was configured rather than derived."""
        return bool(self.intake.base_url)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.lab.timezone)

    def setting_path(self, given: str, default: str = "") -> Path:
        """A path from the settings: `~` expanded, a relative one taken under the data folder
        (services run from another working folder); `default`, also under it, when unset."""
        path = Path(given or default).expanduser()
        return path if path.is_absolute() else self.data_dir / path

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)

    def printer(self, name: str) -> Printer | None:
        return next((p for p in self.printers if p.name == name), None)

    def printers_for(self, method: str) -> tuple[Printer, ...]:
        return tuple(p for p in self.printers if p.method == method)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_NAME


def find_config_file(data_dir: Path | None, config_file: Path | None,
                     env: Mapping[str, str]) -> Path | None:
    if config_file is None and env.get("PRINTDESK_CONFIG"):
        config_file = Path(env["PRINTDESK_CONFIG"])
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file {config_file} does not exist")
        return config_file
    candidate = data_dir / CONFIG_NAME if data_dir is not None else user_config_file()
    return candidate if candidate.is_file() else None


def load_config(data_dir: Path | str | None = None, config_file: Path | str | None = None,
                env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration; raises ConfigError naming the bad key."""
    env = os.environ if env is None else env
    explicit = data_dir or env.get("PRINTDESK_DATA") or None
    data = Path(explicit).expanduser().resolve() if explicit else default_data_dir()
    path = find_config_file(data if explicit else None,
                            Path(config_file) if config_file else None, env)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        except OSError as exc:  # e.g. a staff account outside the group the file is shared with
            raise ConfigError(f"config file {path} cannot be read ({exc.strerror or exc})"
                              ) from None
    target = path or (data / CONFIG_NAME if explicit else user_config_file())
    try:
        return _build(raw, data, env, path, target)
    except ConfigError as exc:
        where = f"config file {path}" if path else "configuration"
        raise ConfigError(f"{where}: {exc}") from None


def _section(name: str, cls: type, given: Any, env: Mapping[str, str]) -> Any:
    if not isinstance(given, dict):
        raise ConfigError(f"[{name}]: expected a table")
    declared = {f.name: f for f in keys_of(cls)}
    unknown = set(given) - set(declared)
    if unknown:
        raise ConfigError(f"[{name}] {sorted(unknown)[0]}: unknown key")
    values: dict[str, Any] = {}
    for key, spec in declared.items():
        parse = spec.metadata["parse"]
        env_name = f"PRINTDESK_{name}_{key}".upper()
        if spec.metadata["env"] and env_name in env:
            values[key] = parse(env[env_name], env_name)
        elif key in given:
            values[key] = parse(given[key], f"[{name}] {key}")
    return cls(**values)


def _check_env(env: Mapping[str, str]) -> None:
    for name in env:
        parts = name.upper().split("_", 2)
        if len(parts) == 3 and parts[0] == "PRINTDESK" and parts[1].lower() in SECTIONS:
            keys = {f.name for f in keys_of(SECTIONS[parts[1].lower()]) if f.metadata["env"]}
            if parts[2].lower() not in keys:
                raise ConfigError(f"{name}: unknown setting (see README, Configuration)")


def _build(raw: dict[str, Any], data: Path, env: Mapping[str, str], path: Path | None,
           target: Path) -> Config:
    for name in raw:
        if name not in SECTIONS and name not in TABLES:
            raise ConfigError(f"[{name}]: unknown section")
    _check_env(env)
    sections = {name: _section(name, cls, raw.get(name, {}), env) for name, cls in SECTIONS.items()}
    methods = parse_methods(raw.get("methods"))
    names = {m.name for m in methods}
    printers = parse_printers(raw.get("printers"), names)
    pricing: Pricing = sections["pricing"]
    missing = names - set(pricing.per_gram)
    if missing:
        raise ConfigError(f"[pricing] per_gram: no rate for {sorted(missing)[0]}")
    paths: Paths = sections["paths"]
    database: Database = sections["database"]
    intake: Intake = sections["intake"]
    storage = Path(paths.storage_root).expanduser() if paths.storage_root else data / "storage"
    return Config(
        data_dir=data,
        storage_root=storage.resolve(),
        database_url=database.url or f"sqlite:///{data / 'printdesk.db'}",
        base_url=intake.base_url or base_url_for(intake.host, intake.port),
        methods=methods,
        printers=printers,
        disciplines=parse_disciplines(raw.get("disciplines", list(defaults.DISCIPLINES))),
        densities=parse_densities(raw.get("densities")),
        config_file=path,
        config_target=target,
        **sections,
    )
