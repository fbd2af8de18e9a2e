"""Template filters: lab-time-zone times, money, millimetres to inches."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask

from core.mail.settings import email_ready, smtp_settings
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


def register(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(money)
    app.add_template_filter(inches)

    @app.context_processor
    def lab() -> dict[str, object]:
        config = desk().config
        # Pages never promise an email that cannot go: is a mail server set up right now?
        return {"lab": config, "email_ready": email_ready(smtp_settings(config))}
