"""A job's history in plain English, with money and units (the console's History tab and the
audit): "Approved: $4.73 for 47.3 g and 3.5 h (Filament, Prusa MK4S)", never
`approve: minimum_applied=True`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain.statuses import STATUS_LABELS, Status
from core.domain.values import Event

FIELD_NAMES = {
    "student_name": "name", "student_email": "email", "discipline": "discipline",
    "class_number": "class", "print_method": "method", "color": "color",
    "printer": "printer", "material": "material", "weight_g": "weight",
    "print_time_h": "print time", "cost": "cost",
}


def money(value: Any) -> str:
    try:
        return f"${Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _status(value: Any) -> str:
    try:
        return STATUS_LABELS[Status(value)]
    except ValueError:
        return str(value)


def _size(value: Any) -> str:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    return f"{size / 1_048_576:.1f} MB" if size >= 100_000 else f"{size / 1024:.0f} KB"


def _approve(d: Mapping[str, Any]) -> str:
    hours, billed = d.get("print_time_h"), d.get("billed_hours")
    time = f"{hours} h" + (f" (billed {billed} h)" if billed and billed != hours else "")
    text = (f"Approved: {money(d.get('cost'))} for {d.get('weight_g')} g and {time} "
            f"({d.get('material')}, {d.get('printer')})")
    return text + "; the minimum charge applies" if d.get("minimum_applied") else text


def _changes(d: Mapping[str, Any]) -> str:
    parts = []
    for key, (old, new) in d.get("changes", {}).items():
        name = FIELD_NAMES.get(key, key.replace("_", " "))
        show = money if key == "cost" else (lambda v: "—" if v in (None, "") else str(v))
        parts.append(f"{name} {show(old)} → {show(new)}")
    return "Changed " + "; ".join(parts) if parts else "Fields edited"


def _sliced(d: Mapping[str, Any]) -> str:
    what = d.get("summary") or (f"not readable ({d['error']})" if d.get("error") else "")
    return f"Sliced file {d.get('file')} saved into the folder" + (f": {what}" if what else "")


def _estimate(d: Mapping[str, Any]) -> str:
    if d.get("failed"):
        return f"Automatic estimate failed: {d.get('error')}"
    hours = int(d.get("print_time_s") or 0)
    return (f"Automatic estimate by {d.get('slicer')}: {d.get('weight_g')} g, "
            f"{hours // 3600} h {hours % 3600 // 60} min")


def _reminder(d: Mapping[str, Any]) -> str:
    if d.get("kind") == "confirmation":
        return "Reminder emailed: the confirmation link expires within a day"
    return f"Reminder emailed: printed {d.get('day')} days ago and not picked up yet"


def _override(d: Mapping[str, Any]) -> str:
    told = "; the student was emailed" if d.get("notify") else ""
    return (f"Status changed by hand from {_status(d.get('from'))} to {_status(d.get('to'))}: "
            f"{d.get('reason')}{told}")


def _use_file(d: Mapping[str, Any]) -> str:
    return f"{d.get('file')} chosen as the file to open and quote from" + (
        f" ({d['summary']})" if d.get("summary") else "")


TEXTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "submit": lambda d: f"Submitted {d.get('original_filename')} ({_size(d.get('size'))})",
    "approve": _approve,
    "reject": lambda d: "Rejected: " + "; ".join(d.get("reasons", [])),
    "confirm": lambda d: f"The student confirmed the cost ({money(d.get('cost'))})",
    "decline": lambda d: "The student declined the cost",
    "confirm_on_behalf": lambda d: f"Confirmed for the student: {d.get('note')}",
    "resend_confirmation": lambda d: "A new confirmation link was sent",
    "start_printing": lambda d: "Printing started",
    "print_failed": lambda d: f"The print failed: {d.get('note')}",
    "complete": lambda d: "Printed: ready for pickup",
    "picked_up": lambda d: f"Picked up; {money(d.get('amount_paid'))} paid"
                           + (f" (quoted {money(d.get('cost'))})" if d.get("cost")
                              and d.get("cost") != d.get("amount_paid") else ""),
    "override_status": _override,
    "mark_reviewed": lambda d: "Marked as reviewed",
    "mark_unreviewed": lambda d: "Marked as new again",
    "edit_notes": lambda d: "Staff notes changed",
    "edit_fields": _changes,
    "use_file": _use_file,
    "sliced_file": _sliced,
    "estimate": _estimate,
    "reminder": _reminder,
    "repair": lambda d: f"Repaired automatically: {d.get('repair')}",
    "file_lost": lambda d: f"Model file lost or damaged ({d.get('file')} {d.get('damage')}) and "
                           "no backup holds it: ask the student to upload it again",
    "purged": lambda d: f"Files removed after {d.get('days')} "
                        f"{'day' if d.get('days') == 1 else 'days'} (cleanup): "
                        f"{len(d.get('files') or [])} file(s), {_size(d.get('bytes')) or '0 KB'}"
                        "; the record and history stay",
}


def describe(event: Event) -> str:
    """One line for the event, as staff read it."""
    text = TEXTS.get(event.type)
    if text is None:
        return event.type.replace("_", " ").capitalize()
    try:
        return text(event.details)
    except (KeyError, TypeError, ValueError, AttributeError):  # an older event's shape
        return event.type.replace("_", " ").capitalize()
