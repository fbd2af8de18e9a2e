"""The emails students get, built inside the transaction of the change that causes them (from
the job's row as that change leaves it) and queued in the outbox with it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.domain import links, tokens
from core.domain.pricing import money
from core.domain.statuses import STATUS_LABELS, Status
from core.jobs.unit import Message
from core.mail.render import render
from storage.tables import JobRow

if TYPE_CHECKING:
    from core.context import Context


def when(ctx: Context, moment: datetime | None) -> str:
    """A moment as a student reads it: in the lab's time zone, with the zone named."""
    if moment is None:
        return ""
    local = moment.astimezone(ctx.config.tz)
    return local.strftime("%A, %B %d, %Y at %I:%M %p %Z").replace(" 0", " ")


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f"${amount:,.2f}"


def _context(ctx: Context, row: JobRow) -> dict[str, Any]:
    minimum = money(ctx.config.pricing.minimum)
    return {
        "job": {"reference": row.short_id.upper(), "student_name": row.student_name,
                "original_filename": row.original_filename, "printer": row.printer,
                "color": row.color, "print_method": row.print_method},
        "quote": {"cost": _money(row.cost), "weight_g": row.weight_g,
                  "print_time_h": row.print_time_h, "material": row.material or row.print_method,
                  "minimum_applied": row.cost is not None and row.cost == minimum},
        "status_url": links.status_link(ctx.config.base_url,
                                        tokens.status_token(ctx.secret, row.id)),
        "pickup": {"where": ctx.config.email.pickup_where, "when": ctx.config.email.pickup_when},
    }


def _confirming(ctx: Context, row: JobRow) -> dict[str, Any]:
    assert row.confirm_nonce is not None, "a confirmation email needs a live link"
    token = tokens.confirm_token(ctx.secret, row.id, row.confirm_nonce)
    return {"confirm_url": links.confirm_link(ctx.config.base_url, token),
            "expires": when(ctx, row.confirm_expires_at)}


def message(ctx: Context, row: JobRow, kind: str, **extra: Any) -> Message:
    context = {**_context(ctx, row), **extra}
    if kind in ("approval", "confirmation_resent", "reminder_confirmation"):
        context.update(_confirming(ctx, row))
    rendered = render(ctx.config, kind, context)
    return Message(kind, row.student_email, rendered.subject, rendered.text, rendered.html)


def approval(ctx: Context, row: JobRow) -> Message:
    return message(ctx, row, "approval")


def confirmation_resent(ctx: Context, row: JobRow) -> Message:
    return message(ctx, row, "confirmation_resent")


def rejection(ctx: Context, row: JobRow) -> Message:
    return message(ctx, row, "rejection", reasons=list(row.reject_reasons or []),
                   intake_url=ctx.config.base_url + "/")


def completion(ctx: Context, row: JobRow) -> Message:
    return message(ctx, row, "completion")


def status_changed(ctx: Context, row: JobRow, reason: str, status: Status) -> Message:
    return message(ctx, row, "status_changed", reason=reason,
                   status_label=STATUS_LABELS[status].lower())


def reminder_confirmation(ctx: Context, row: JobRow) -> Message:
    return message(ctx, row, "reminder_confirmation")


def reminder_pickup(ctx: Context, row: JobRow, days: int) -> Message:
    return message(ctx, row, "reminder_pickup", days=days)
