"""Helpers for `printdesk` with no subcommand: is there a display to open the console on.

`printdesk` no longer starts or stops the intake (quitting the console used to take the students'
page down with it): the console says when none answers and offers to start the lab PC's service
or a detached intake (desktop/intake_status.py over core/console/intake_*.py); a lab PC runs it
as a service (packaging/).
"""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal", "vnc"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
