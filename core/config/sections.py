"""Every setting PrintDesk reads, one dataclass per `[section]` of printdesk.toml, each key
declared once with its default and its check. `PRINTDESK_<SECTION>_<KEY>` overrides any scalar
key from the environment. README's Configuration section shows them all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.config.keys import (
    check_base_url,
    choice,
    colour,
    day_list,
    flag,
    key,
    money,
    rate,
    text,
    text_list,
    whole,
    zone,
)
from core.domain import defaults
from core.domain.errors import ConfigError


@dataclass(frozen=True)
class Lab:
    name: str = key("Fab Lab 3D Printing", text)
    timezone: str = key("America/Chicago", zone)  # times are stored in UTC, shown in this zone
    primary_color: str = key("#461D7C", colour)
    accent_color: str = key("#FDD023", colour)


@dataclass(frozen=True)
class Paths:
    storage_root: str = key("", text)  # "": <data folder>/storage; may be a network share


@dataclass(frozen=True)
class Database:
    url: str = key("", text)  # "": sqlite:///<data folder>/printdesk.db
    sqlite_journal: str = key("auto", choice("auto", "wal", "delete"))
    busy_timeout_ms: int = key(30_000, whole(100, 600_000))


@dataclass(frozen=True)
class Limits:
    max_upload_mb: int = key(50, whole(1, 2048))
    max_active_jobs_per_email: int = key(5, whole(1, 1000))
    retention_days: int = key(90, whole(1, 36500))
    confirmation_days: int = key(7, whole(1, 365))  # how long a confirmation link lives
    idle_lock_minutes: int = key(15, whole(1, 24 * 60))
    max_3mf_entries: int = key(1000, whole(1, 100_000))  # a .3mf is a ZIP: refused beyond these
    max_3mf_uncompressed_mb: int = key(512, whole(1, 16_384))
    # /healthz fails and the console warns below this much free space in the storage folder.
    min_free_disk_mb: int = key(1024, whole(0, 10**7))
    # Model checks running at once may hold about this much memory together.
    analysis_memory_mb: int = key(768, whole(64, 65_536))


@dataclass(frozen=True)
class Intake:
    host: str = key("127.0.0.1", text)
    port: int = key(8080, whole(1, 65535))
    threads: int = key(8, whole(1, 256))
    base_url: str = key("", check_base_url)  # the address in every student link
    submit_rate_limit: str = key("10 per hour", rate)  # accepted submissions per client
    # Reverse proxies in front of the intake whose X-Forwarded-* headers are believed; 0: those
    # headers are ignored (a student could forge them).
    trusted_proxies: int = key(0, whole(0, 10))
    # Open connections waitress accepts, and seconds a silent connection is kept: ~100 idle
    # connections from one client must not lock everyone else out.
    connection_limit: int = key(400, whole(10, 10_000))
    channel_timeout_s: int = key(120, whole(5, 3600))


@dataclass(frozen=True)
class Smtp:
    """How email leaves the lab (the lab's case: Office 365, smtp.office365.com, 587, STARTTLS,
    login). With no host, messages wait in the outbox and the console says so."""

    host: str = key("", text)
    port: int = key(587, whole(1, 65535))
    security: str = key("starttls", choice("starttls", "ssl", "none"))
    username: str = key("", text)
    password: str = key("", text)
    password_file: str = key("", text)  # a file holding the password (kept out of this file)
    from_address: str = key("", text)
    from_name: str = key("", text)  # "": the lab's name
    reply_to: str = key("", text)
    timeout_s: int = key(30, whole(1, 600))
    max_attempts: int = key(8, whole(1, 100))  # then the message is failed, kept, retryable
    ca_file: str = key("", text)  # certificates to trust besides the system's (a lab's own CA)


@dataclass(frozen=True)
class Email:
    """What the lab's emails say and when reminders go."""

    pickup_where: str = key("at the lab's front desk", text)
    pickup_when: str = key("during the lab's opening hours", text)
    confirmation_reminder: bool = key(True, flag)  # a day before the link expires
    pickup_reminders: bool = key(True, flag)
    pickup_reminder_days: str = key("3, 7", day_list)  # days in Completed, each reminded once
    templates_dir: str = key("", text)  # "": <data folder>/email-templates, if it exists


@dataclass(frozen=True)
class Slicing:
    """The automatic estimate: the worker slices each new upload with the lab's profile for the
    chosen printer and offers the weight and time as the quote, until staff save their own."""

    estimate: bool = key(True, flag)
    program: str = key("", text)  # a command-line slicer; "": PrusaSlicer found on this PC
    timeout_s: int = key(180, whole(5, 3600))
    memory_mb: int = key(3072, whole(256, 65_536))
    show_students: bool = key(False, flag)  # the status page shows it, "to be confirmed"
    cura_definitions: str = key("", text)  # CuraEngine: the folder with fdmprinter.def.json


@dataclass(frozen=True)
class Backup:
    """Backups the worker makes on its own (SPEC §9): a dated archive of the database and the
    storage folder, the newest `keep` kept."""

    scheduled: bool = key(True, flag)
    folder: str = key("", text)  # "": <data folder>/backups (better: another disk or a share)
    every_hours: int = key(24, whole(1, 24 * 366))
    keep: int = key(14, whole(1, 10_000))
    warn_days: int = key(3, whole(1, 3650))  # the console warns when the newest is older


@dataclass(frozen=True)
class Cleanup:
    """Removing the folders of finished jobs older than [limits] retention_days; the rows and
    their history stay. Off until the lab turns it on."""

    scheduled: bool = key(False, flag)
    every_hours: int = key(24, whole(1, 24 * 366))


@dataclass(frozen=True)
class Logs:
    folder: str = key("", text)  # "": the platform's log folder for PrintDesk
    max_mb: int = key(5, whole(1, 1024))  # one file's size before it rotates


def _rates(value: Any, name: str) -> Mapping[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name}: expected a table like {{ Filament = \"0.10\" }}")
    return {str(k): money(v, f"{name}.{k}") for k, v in value.items()}


@dataclass(frozen=True)
class Pricing:
    minimum: Decimal = key(Decimal(defaults.MINIMUM_CHARGE), money)
    # Print time is rounded up to this step ("0": not rounded).
    time_step_hours: Decimal = key(Decimal(defaults.TIME_STEP_HOURS), money)
    per_gram: Mapping[str, Decimal] = key(
        {k: Decimal(v) for k, v in defaults.PER_GRAM.items()}, _rates, env=False)


# [section] name -> its dataclass; the loader reads exactly these.
SECTIONS: dict[str, type] = {"lab": Lab, "paths": Paths, "database": Database,
                             "limits": Limits, "intake": Intake, "pricing": Pricing,
                             "smtp": Smtp, "email": Email, "slicing": Slicing,
                             "backup": Backup, "cleanup": Cleanup, "logs": Logs}


@dataclass(frozen=True)
class Printer:
    name: str
    method: str
    build_volume_mm: tuple[float, float, float]
    # Per-printer rates; None means "use the method's per-gram rate".
    per_gram: Decimal | None = None
    per_hour: Decimal = Decimal("0")
    # The lab's slicer profile for the automatic estimate (a PrusaSlicer .ini); "": built in.
    slicer_profile: str = ""


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    colors: tuple[str, ...]


def parse_disciplines(value: Any) -> tuple[str, ...]:
    return text_list(value, "disciplines")


def parse_methods(value: Any) -> tuple[Method, ...]:
    if value is None:
        return tuple(Method(name, defaults.METHOD_DESCRIPTIONS[name], colors)
                     for name, colors in defaults.COLORS.items())
    if not isinstance(value, dict) or not value:
        raise ConfigError("[methods]: expected tables like [methods.Filament]")
    result = []
    for name, body in value.items():
        if not isinstance(body, dict):
            raise ConfigError(f"[methods.{name}]: expected a table")
        unknown = set(body) - {"description", "colors"}
        if unknown:
            raise ConfigError(f"[methods.{name}] {sorted(unknown)[0]}: unknown key")
        description = text(body.get("description", ""), f"[methods.{name}] description")
        colors = text_list(body.get("colors"), f"[methods.{name}] colors")
        result.append(Method(name, description, colors))
    return tuple(result)


def parse_printers(value: Any, methods: set[str]) -> tuple[Printer, ...]:
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
        unknown = set(body) - {"name", "method", "build_volume_mm", "per_gram", "per_hour",
                               "slicer_profile"}
        if unknown:
            raise ConfigError(f"{where} {sorted(unknown)[0]}: unknown key")
        name = text(body.get("name", ""), f"{where} name")
        method = text(body.get("method", ""), f"{where} method")
        if not name:
            raise ConfigError(f"{where} name: required")
        if method not in methods:
            raise ConfigError(f"{where} method: must be one of {', '.join(sorted(methods))}")
        volume = body.get("build_volume_mm")
        if (not isinstance(volume, list) or len(volume) != 3
                or not all(isinstance(v, int | float) and v > 0 for v in volume)):
            raise ConfigError(f"{where} build_volume_mm: expected [width, depth, height] in mm")
        per_gram = money(body["per_gram"], f"{where} per_gram") if "per_gram" in body else None
        per_hour = money(body.get("per_hour", "0"), f"{where} per_hour")
        profile = text(body.get("slicer_profile", ""), f"{where} slicer_profile")
        result.append(Printer(name, method, (float(volume[0]), float(volume[1]), float(volume[2])),
                              per_gram, per_hour, profile))
    if len({p.name for p in result}) != len(result):
        raise ConfigError("[[printers]] name: printer names must be unique")
    return tuple(result)


def parse_densities(value: Any) -> Mapping[str, Decimal]:
    """g/cm³ by material ("PLA", "PETG" …) or method ("Filament", "Resin"): a slicer that
    states filament length or volume but no weight is weighed with these."""
    if not isinstance(value, dict | None):
        raise ConfigError("[densities]: expected a table like PLA = \"1.24\"")
    given = {**defaults.DENSITIES, **(value or {})}
    result = {str(k): money(v, f"[densities] {k}") for k, v in given.items()}
    if any(v <= 0 for v in result.values()):
        raise ConfigError("[densities]: every density must be more than 0")
    return result


# Top-level tables that are not [section]s of keys.
TABLES = {"printers", "methods", "disciplines", "densities"}
