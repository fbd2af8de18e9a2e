"""Template filters: lab-time-zone times, money, millimetres to inches."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from flask import Flask
from jinja2 import Undefined
from jinja2.utils import missing

from core.mail.settings import email_ready, smtp_settings
from core.mesh.analysis import grams_text
from intake.context import desk


def localtime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(desk().config.tz)
    return local.strftime("%b %d, %Y, %I:%M %p %Z").replace(" 0", " ")


def money(value: Decimal | str | None) -> str:
    return "" if value is None else f"${Decimal(value):,.2f}"


def inches(mm: float) -> str:
    return f"{mm / 25.4:.1f}"


def filesize(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


class AttributeCheckingUndefined(Undefined):
    """Strict where a typo hides: an attribute missing on an object (``config.max_upload_mb``
    after the keys moved into sections rendered as nothing, and the lab's name vanished from
    every page unnoticed). A key missing from a dict, like a form value not typed yet, stays
    empty as usual."""

    def __str__(self) -> str:
        owner = self._undefined_obj
        if owner is not missing and not isinstance(owner, Mapping):
            self._fail_with_undefined_error()
        return super().__str__()


def register(app: Flask) -> None:
    if app.testing or app.config.get("STRICT_TEMPLATES"):
        app.jinja_env.undefined = AttributeCheckingUndefined
    app.add_template_filter(filesize)
    app.add_template_filter(grams_text, "grams")
    app.add_template_filter(localtime)
    app.add_template_filter(money)
    app.add_template_filter(inches)

    @app.context_processor
    def lab() -> dict[str, object]:
        config = desk().config
        # Pages never promise an email that cannot go: is a mail server set up right now?
        return {"lab": config, "email_ready": email_ready(smtp_settings(config))}
