"""How a configuration key is declared: `key(default, parser)` on a section's dataclass field.
The loader finds every key from the dataclasses themselves (file, environment, default), so a
new setting is one line in core/config/sections.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import Field, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain.errors import ConfigError

Parser = Callable[[Any, str], Any]


def key(default: Any, parse: Parser, *, env: bool = True) -> Any:
    """A setting: its default and the parser that checks a given value (and names the key in
    its error). `env=False` for tables, which an environment variable cannot express."""
    metadata = {"parse": parse, "env": env}
    if isinstance(default, Mapping):  # a table: each Config gets its own copy
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def keys_of(section: type) -> tuple[Field[Any], ...]:
    return tuple(f for f in fields(section) if "parse" in f.metadata)


# --- parsers ----------------------------------------------------------------------------------

def text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected text, got {value!r}")
    return value.strip()


def whole(minimum: int, maximum: int = 10**9) -> Parser:
    def parse(value: Any, name: str) -> int:
        if isinstance(value, bool):
            raise ConfigError(f"{name}: expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
        if not minimum <= number <= maximum:
            raise ConfigError(f"{name}: must be between {minimum} and {maximum}, got {number}")
        return number

    return parse


def money(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"{name}: expected an amount like \"0.10\", got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{name}: must be zero or more, got {value!r}")
    return amount


def choice(*choices: str) -> Parser:
    def parse(value: Any, name: str) -> str:
        given = text(value, name).lower()
        if given not in choices:
            raise ConfigError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
        return given

    return parse


def flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    given = str(value).strip().lower()
    if given in ("1", "true", "yes", "on"):
        return True
    if given in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def colour(value: Any, name: str) -> str:
    given = text(value, name)
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", given):
        raise ConfigError(f"{name}: expected a colour like \"#461D7C\", got {value!r}")
    return given


def rate(value: Any, name: str) -> str:
    given = text(value, name)
    if not re.fullmatch(r"\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?", given):
        raise ConfigError(f"{name}: expected a rate like \"10 per hour\", got {value!r}")
    return given


def check_base_url(value: Any, name: str) -> str:
    """The students' address (or ""), or ConfigError naming `name`."""
    given = text(value, name)
    if given and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", given):
        raise ConfigError(f"{name}: expected an address like \"http://labpc.example.edu:8080\", "
                          f"got {value!r}")
    return given.rstrip("/")


def zone(value: Any, name: str) -> str:
    given = text(value, name)
    try:
        ZoneInfo(given)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}: unknown time zone {value!r} (e.g. America/Chicago)") from None
    return given


def text_list(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name}: expected a non-empty list of texts")
    items = tuple(v.strip() for v in value)
    if any(not v for v in items) or len(set(items)) != len(items):
        raise ConfigError(f"{name}: entries must be non-empty and unique")
    return items


def day_list(value: Any, name: str) -> str:
    """Whole days as text, e.g. "3, 7" (kept as text so an environment variable can set it)."""
    given = text(value, name)
    try:
        days = [int(part) for part in given.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{name}: expected days like \"3, 7\", got {value!r}") from None
    if any(d < 1 or d > 365 for d in days):
        raise ConfigError(f"{name}: each day must be between 1 and 365, got {value!r}")
    return ", ".join(str(d) for d in sorted(set(days)))


def days_of(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split(",") if part.strip())
