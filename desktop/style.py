"""The console's few colours with a meaning, in one place."""

from __future__ import annotations

ALARM_COLOUR = "#a4001d"  # something staff must act on: a stale backup, a stopped intake
ALARM = f"color: {ALARM_COLOUR}; font-weight: 600;"
