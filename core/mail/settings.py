"""The lab's SMTP settings as they are now: staff change them in the console (Settings → Email),
which writes them where the lab's settings live (printdesk.toml, the password into a separate
owner-only file), and the worker in another process picks them up at its next send without a
restart."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.config import Config, load_config
from core.config.file import update_config_file
from core.config.keys import keys_of
from core.config.sections import Smtp
from core.domain.errors import ConfigError, ValidationError

PASSWORD_FILE = "smtp-password.txt"
_cache: dict[tuple[str, int], Smtp] = {}


def smtp_settings(config: Config) -> Smtp:
    """[smtp] as the configuration file says now (re-read when the file changed)."""
    path = config.config_target
    if path is None or not path.is_file():
        return config.smtp
    stamp = (str(path), path.stat().st_mtime_ns)
    if stamp not in _cache:
        try:
            _cache.clear()
            _cache[stamp] = load_config(data_dir=config.data_dir, config_file=path).smtp
        except ConfigError:
            return config.smtp  # a file being edited by hand: keep what was loaded
    return _cache[stamp]


def email_ready(smtp: Smtp) -> bool:
    """Whether emails can leave at all: a server and a sender address are set."""
    return bool(smtp.host and smtp.from_address)


def password_file(config: Config, smtp: Smtp) -> Path | None:
    return config.setting_path(smtp.password_file) if smtp.password_file else None


def password_of(config: Config, smtp: Smtp) -> str:
    if smtp.password:
        return smtp.password
    path = password_file(config, smtp)
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"[smtp] password_file: {path} cannot be read ({exc.strerror})") \
            from None


def checked(values: dict[str, Any]) -> Smtp:
    """The settings staff typed, checked like the file's: ValidationError keyed by field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for spec in keys_of(Smtp):
        if spec.name in values:
            try:
                clean[spec.name] = spec.metadata["parse"](values[spec.name], spec.name)
            except ConfigError as exc:
                errors[spec.name] = str(exc)
    if errors:
        raise ValidationError(errors)
    return replace(Smtp(), **clean)


def save_smtp(config: Config, smtp: Smtp, password: str | None) -> None:
    """Store the lab's SMTP settings; `password` None keeps the one stored (never shown back)."""
    if config.config_target is None:
        raise ConfigError("this configuration was not read from a file, so it cannot be saved")
    values = {spec.name: getattr(smtp, spec.name) for spec in keys_of(Smtp)
              if spec.name not in ("password", "password_file")}
    if password is not None:
        secret = config.data_dir / PASSWORD_FILE
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password)
        values.update(password="", password_file=PASSWORD_FILE)
    update_config_file(config.config_target, "smtp", values)
