"""Emails from templates a lab can adapt: `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html`
in core/mail/templates/, each of which a file of the same name in the lab's templates folder
([email] templates_dir, default <data folder>/email-templates) replaces. Everything a student
typed is escaped in the HTML part (Jinja's autoescape); a template that refers to something
that does not exist fails loudly instead of sending a half-empty email."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.config import Config

DEFAULTS = Path(__file__).parent / "templates"
KINDS = ("approval", "confirmation_resent", "rejection", "completion", "status_changed",
         "reminder_confirmation", "reminder_pickup", "test")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def lab_templates(config: Config) -> Path:
    given = config.email.templates_dir
    return Path(given).expanduser() if given else config.data_dir / "email-templates"


@functools.lru_cache(maxsize=8)
def _environment_for(lab_folder: Path, _listing: tuple[tuple[str, int], ...]) -> Environment:
    # Kept while the lab's templates folder stays the same (`_listing`: its files and their
    # modification times): compiling the templates for every message cost ~50 ms per
    # transition, and a template the lab adds, edits or removes gives a fresh environment.
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(str(lab_folder)),
                             FileSystemLoader(str(DEFAULTS))]),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=False,
    )


def _environment(config: Config) -> Environment:
    folder = lab_templates(config)
    try:
        listing = tuple(sorted((entry.name, entry.stat().st_mtime_ns)
                               for entry in os.scandir(folder) if entry.is_file()))
    except OSError:  # no lab templates folder: the defaults alone
        listing = ()
    return _environment_for(folder, listing)


def render(config: Config, kind: str, context: dict[str, Any]) -> Rendered:
    env = _environment(config)
    values = {"lab": {"name": config.lab.name, "primary_color": config.lab.primary_color,
                      "accent_color": config.lab.accent_color},
              "job": None, "status_url": None, **context}
    subject = " ".join(env.get_template(f"{kind}.subject.txt").render(values).split())
    values["subject"] = subject
    return Rendered(subject, env.get_template(f"{kind}.txt").render(values),
                    env.get_template(f"{kind}.html").render(values))
