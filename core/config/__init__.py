"""Configuration: built-in defaults, a TOML file, then `PRINTDESK_<SECTION>_<KEY>` overrides.

Where the file is looked up:
  1. `--config FILE` or `PRINTDESK_CONFIG`;
  2. with an explicit data folder (`--data DIR` / `PRINTDESK_DATA`): `DIR/printdesk.toml` only, so
     scripts and tests never pick up the real lab's settings;
  3. otherwise `printdesk.toml` in the platform's user config folder, if it exists.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from core.config.address import base_url_for
from core.domain import defaults
from core.domain.errors import ConfigError

APP_NAME = "PrintDesk"
CONFIG_NAME = "printdesk.toml"


@dataclass(frozen=True)
class Printer:
    name: str
    method: str
    build_volume_mm: tuple[float, float, float]
    # Per-printer rates; None means "use the method's per-gram rate".
    per_gram: Decimal | None = None
    per_hour: Decimal = Decimal("0")


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    colors: tuple[str, ...]


@dataclass(frozen=True)
class Pricing:
    per_gram: Mapping[str, Decimal]
    minimum: Decimal
    time_step_hours: Decimal


@dataclass(frozen=True)
class Config:
    data_dir: Path
    storage_root: Path
    database_url: str
    sqlite_journal: str
    busy_timeout_ms: int
    lab_name: str
    timezone: str
    primary_color: str
    accent_color: str
    methods: tuple[Method, ...]
    printers: tuple[Printer, ...]
    disciplines: tuple[str, ...]
    pricing: Pricing
    max_upload_mb: int
    max_active_jobs_per_email: int
    retention_days: int
    confirmation_days: int
    idle_lock_minutes: int
    max_3mf_entries: int
    max_3mf_uncompressed_mb: int
    min_free_disk_mb: int
    analysis_memory_mb: int
    intake_host: str
    intake_port: int
    intake_threads: int
    base_url: str
    submit_rate_limit: str
    # Whether base_url was set (file or environment) rather than derived from host and port.
    base_url_set: bool = False
    trusted_proxies: int = 0
    connection_limit: int = 400
    channel_timeout_s: int = 120
    config_file: Path | None = None
    # Where the configuration file is read from (or would be, when it does not exist yet): the
    # file `printdesk init` writes the students' address into.
    config_target: Path | None = None
    upload_extensions: tuple[str, ...] = field(default=defaults.UPLOAD_EXTENSIONS)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)

    def printer(self, name: str) -> Printer | None:
        return next((p for p in self.printers if p.name == name), None)

    def printers_for(self, method: str) -> tuple[Printer, ...]:
        return tuple(p for p in self.printers if p.method == method)


# --- scalar settings: section -> key -> (parser, default) -----------------------------------

Parser = Callable[[Any, str], Any]


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected text, got {value!r}")
    return value.strip()


def _int(minimum: int, maximum: int = 10**9) -> Parser:
    def parse(value: Any, key: str) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{key}: expected a whole number, got {value!r}") from None
        if not minimum <= number <= maximum:
            raise ConfigError(f"{key}: must be between {minimum} and {maximum}, got {number}")
        return number

    return parse


def _money(value: Any, key: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"{key}: expected an amount like \"0.10\", got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{key}: must be zero or more, got {value!r}")
    return amount


def _choice(*choices: str) -> Parser:
    def parse(value: Any, key: str) -> str:
        text = _str(value, key).lower()
        if text not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _colour(value: Any, key: str) -> str:
    text = _str(value, key)
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", text):
        raise ConfigError(f"{key}: expected a colour like \"#461D7C\", got {value!r}")
    return text


def _rate(value: Any, key: str) -> str:
    text = _str(value, key)
    if not re.fullmatch(r"\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?", text):
        raise ConfigError(f"{key}: expected a rate like \"10 per hour\", got {value!r}")
    return text


def check_base_url(value: Any, key: str) -> str:
    """The students' address, or ConfigError naming `key`."""
    text = _str(value, key)
    if text and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
        raise ConfigError(f"{key}: expected an address like \"http://labpc.example.edu:8080\", "
                          f"got {value!r}")
    return text


def _zone(value: Any, key: str) -> str:
    text = _str(value, key)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: unknown time zone {value!r} (e.g. America/Chicago)") from None
    return text


SCALARS: dict[str, dict[str, tuple[Parser, Any]]] = {
    "lab": {
        "name": (_str, "Fab Lab 3D Printing"),
        "timezone": (_zone, "America/Chicago"),
        "primary_color": (_colour, "#461D7C"),
        "accent_color": (_colour, "#FDD023"),
    },
    "paths": {"storage_root": (_str, "")},
    "database": {
        "url": (_str, ""),
        "sqlite_journal": (_choice("auto", "wal", "delete"), "auto"),
        "busy_timeout_ms": (_int(100, 600_000), 30_000),
    },
    "limits": {
        "max_upload_mb": (_int(1, 2048), 50),
        "max_active_jobs_per_email": (_int(1, 1000), 5),
        "retention_days": (_int(1, 36500), 90),
        "confirmation_days": (_int(1, 365), 7),
        "idle_lock_minutes": (_int(1, 24 * 60), 15),
        "max_3mf_entries": (_int(1, 100_000), 1000),
        "max_3mf_uncompressed_mb": (_int(1, 16_384), 512),
        # /healthz fails and the console warns below this much free space in the storage folder.
        "min_free_disk_mb": (_int(0, 10**7), 1024),
        # Model checks running at once may hold about this much memory together.
        "analysis_memory_mb": (_int(64, 65_536), 768),
    },
    "intake": {
        "host": (_str, "127.0.0.1"),
        "port": (_int(1, 65535), 8080),
        "threads": (_int(1, 256), 8),
        "base_url": (check_base_url, ""),
        "submit_rate_limit": (_rate, "10 per hour"),
        # Reverse proxies in front of the intake whose X-Forwarded-* headers are believed; 0:
        # those headers are ignored (a student could forge them).
        "trusted_proxies": (_int(0, 10), 0),
        # Open connections waitress accepts, and seconds a silent connection is kept: ~100 idle
        # connections from one client must not lock everyone else out.
        "connection_limit": (_int(10, 10_000), 400),
        "channel_timeout_s": (_int(5, 3600), 120),
    },
    "pricing": {
        "minimum": (_money, Decimal(defaults.MINIMUM_CHARGE)),
        "time_step_hours": (_money, Decimal(defaults.TIME_STEP_HOURS)),
    },
}
TABLES = {"printers", "methods", "disciplines"}
PRICING_TABLES = {"per_gram"}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def find_config_file(
    data_dir: Path | None, config_file: Path | None, env: Mapping[str, str]
) -> Path | None:
    if config_file is None and env.get("PRINTDESK_CONFIG"):
        config_file = Path(env["PRINTDESK_CONFIG"])
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file {config_file} does not exist")
        return config_file
    if data_dir is not None:
        candidate = data_dir / CONFIG_NAME
    else:
        candidate = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(
    data_dir: Path | str | None = None,
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration; raises ConfigError naming the bad key."""
    env = os.environ if env is None else env
    explicit = data_dir or env.get("PRINTDESK_DATA") or None
    data = Path(explicit).expanduser().resolve() if explicit else default_data_dir()
    path = find_config_file(
        data if explicit else None, Path(config_file) if config_file else None, env
    )
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    target = path or (data / CONFIG_NAME if explicit else
                      Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_NAME)
    try:
        return _build(raw, data, path, env, target)
    except ConfigError as exc:
        where = f"config file {path}" if path else "configuration"
        raise ConfigError(f"{where}: {exc}") from None


def _build(raw: dict[str, Any], data: Path, path: Path | None, env: Mapping[str, str],
           target: Path | None = None) -> Config:
    for section in raw:
        if section not in SCALARS and section not in TABLES:
            raise ConfigError(f"[{section}]: unknown section")
    for name in env:
        parts = name.upper().split("_", 2)
        if len(parts) == 3 and parts[0] == "PRINTDESK" and parts[1].lower() in SCALARS:
            if parts[2].lower() not in SCALARS[parts[1].lower()]:
                raise ConfigError(f"{name}: unknown setting (see README, Configuration)")
    values: dict[str, dict[str, Any]] = {}
    for section, keys in SCALARS.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise ConfigError(f"[{section}]: expected a table")
        extra = set(given) - set(keys) - (PRICING_TABLES if section == "pricing" else set())
        if extra:
            raise ConfigError(f"[{section}] {sorted(extra)[0]}: unknown key")
        values[section] = {}
        for key, (parse, default) in keys.items():
            env_name = f"PRINTDESK_{section}_{key}".upper()
            if env_name in env:
                values[section][key] = parse(env[env_name], env_name)
            elif key in given:
                values[section][key] = parse(given[key], f"[{section}] {key}")
            else:
                values[section][key] = default
    methods = _methods(raw.get("methods"))
    printers = _printers(raw.get("printers"), {m.name for m in methods})
    per_gram = _per_gram(raw.get("pricing", {}).get("per_gram"), {m.name for m in methods})
    disciplines = _text_list(raw.get("disciplines", list(defaults.DISCIPLINES)), "disciplines")
    db, paths, lim, intake = values["database"], values["paths"], values["limits"], values["intake"]
    storage = Path(paths["storage_root"]).expanduser() if paths["storage_root"] else data / "storage"
    url = db["url"] or f"sqlite:///{data / 'printdesk.db'}"
    base_url = intake["base_url"] or base_url_for(intake["host"], intake["port"])
    return Config(
        data_dir=data,
        storage_root=storage.resolve(),
        database_url=url,
        sqlite_journal=db["sqlite_journal"],
        busy_timeout_ms=db["busy_timeout_ms"],
        lab_name=values["lab"]["name"],
        timezone=values["lab"]["timezone"],
        primary_color=values["lab"]["primary_color"],
        accent_color=values["lab"]["accent_color"],
        methods=methods,
        printers=printers,
        disciplines=disciplines,
        pricing=Pricing(per_gram, values["pricing"]["minimum"], values["pricing"]["time_step_hours"]),
        max_upload_mb=lim["max_upload_mb"],
        max_active_jobs_per_email=lim["max_active_jobs_per_email"],
        retention_days=lim["retention_days"],
        confirmation_days=lim["confirmation_days"],
        idle_lock_minutes=lim["idle_lock_minutes"],
        max_3mf_entries=lim["max_3mf_entries"],
        max_3mf_uncompressed_mb=lim["max_3mf_uncompressed_mb"],
        min_free_disk_mb=lim["min_free_disk_mb"],
        analysis_memory_mb=lim["analysis_memory_mb"],
        intake_host=intake["host"],
        intake_port=intake["port"],
        intake_threads=intake["threads"],
        base_url=base_url.rstrip("/"),
        submit_rate_limit=intake["submit_rate_limit"],
        base_url_set=bool(intake["base_url"]),
        trusted_proxies=intake["trusted_proxies"],
        connection_limit=intake["connection_limit"],
        channel_timeout_s=intake["channel_timeout_s"],
        config_file=path,
        config_target=target,
    )


def _text_list(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: expected a non-empty list of texts")
    items = tuple(v.strip() for v in value)
    if any(not v for v in items) or len(set(items)) != len(items):
        raise ConfigError(f"{key}: entries must be non-empty and unique")
    return items


def _methods(value: Any) -> tuple[Method, ...]:
    if value is None:
        return tuple(
            Method(name, defaults.METHOD_DESCRIPTIONS[name], colors)
            for name, colors in defaults.COLORS.items()
        )
    if not isinstance(value, dict) or not value:
        raise ConfigError("[methods]: expected tables like [methods.Filament]")
    result = []
    for name, body in value.items():
        if not isinstance(body, dict):
            raise ConfigError(f"[methods.{name}]: expected a table")
        unknown = set(body) - {"description", "colors"}
        if unknown:
            raise ConfigError(f"[methods.{name}] {sorted(unknown)[0]}: unknown key")
        description = _str(body.get("description", ""), f"[methods.{name}] description")
        colors = _text_list(body.get("colors"), f"[methods.{name}] colors")
        result.append(Method(name, description, colors))
    return tuple(result)


def _printers(value: Any, methods: set[str]) -> tuple[Printer, ...]:
    if value is None:
        built_in = tuple(Printer(n, m, v) for n, m, v in defaults.PRINTERS)
        orphans = sorted({p.method for p in built_in} - methods)
        if orphans:
            raise ConfigError(f"[[printers]]: the built-in printers print {orphans[0]}, which "
                              "[methods] no longer lists; list your printers with [[printers]]")
        return built_in
    if not isinstance(value, list) or not value:
        raise ConfigError("[[printers]]: expected one or more [[printers]] tables")
    result: list[Printer] = []
    for index, body in enumerate(value, 1):
        where = f"[[printers]] #{index}"
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a table")
        unknown = set(body) - {"name", "method", "build_volume_mm", "per_gram", "per_hour"}
        if unknown:
            raise ConfigError(f"{where} {sorted(unknown)[0]}: unknown key")
        name = _str(body.get("name", ""), f"{where} name")
        method = _str(body.get("method", ""), f"{where} method")
        if not name:
            raise ConfigError(f"{where} name: required")
        if method not in methods:
            raise ConfigError(f"{where} method: must be one of {', '.join(sorted(methods))}")
        volume = body.get("build_volume_mm")
        if (
            not isinstance(volume, list) or len(volume) != 3
            or not all(isinstance(v, int | float) and v > 0 for v in volume)
        ):
            raise ConfigError(f"{where} build_volume_mm: expected [width, depth, height] in mm")
        per_gram = _money(body["per_gram"], f"{where} per_gram") if "per_gram" in body else None
        per_hour = _money(body.get("per_hour", "0"), f"{where} per_hour")
        result.append(Printer(name, method, (float(volume[0]), float(volume[1]), float(volume[2])),
                              per_gram, per_hour))
    if len({p.name for p in result}) != len(result):
        raise ConfigError("[[printers]] name: printer names must be unique")
    return tuple(result)


def _per_gram(value: Any, methods: set[str]) -> Mapping[str, Decimal]:
    given = defaults.PER_GRAM if value is None else value
    if not isinstance(given, dict):
        raise ConfigError("[pricing] per_gram: expected a table like { Filament = \"0.10\" }")
    rates = {k: _money(v, f"[pricing] per_gram.{k}") for k, v in given.items()}
    missing = methods - set(rates)
    if missing:
        raise ConfigError(f"[pricing] per_gram: no rate for {sorted(missing)[0]}")
    return rates
