"""What `printdesk doctor` finds: one line per finding, grouped by area."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARNING, PROBLEM, FIXED = "ok", "warning", "problem", "fixed"
LEVELS = (OK, WARNING, PROBLEM, FIXED)

# The report's order of areas.
AREAS = ("Setup", "Job folders", "Model files", "Thumbnails", "Uploads", "Email", "Worker",
         "Disk", "Permissions")


@dataclass(frozen=True)
class Finding:
    area: str
    level: str  # ok / warning / problem / fixed
    text: str


def size_text(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} bytes"


def age_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
