"""The status bar's live labels: when the store was last checked, and where the worker runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QLabel

from core.jobs.queries import LeaseInfo
from desktop.plain import plain_tip
from desktop.style import ALARM


def show_checked(label: QLabel, ok: bool, tz: ZoneInfo) -> None:
    """Every poll of the store, changed or not: staff see that the view is live."""
    stamp = f"{datetime.now(UTC).astimezone(tz):%H:%M:%S}"
    if ok:
        label.setText(f"Checked {stamp}")
        label.setStyleSheet("")
    else:
        label.setText(f"The store cannot be reached (tried {stamp})")
        label.setStyleSheet(ALARM)


def show_worker(label: QLabel, info: LeaseInfo | None) -> None:
    if info is not None and info.alive(datetime.now(UTC)):
        label.setText(f"Worker: on {info.machine}")
        label.setToolTip(plain_tip(
            f"The background worker (thumbnails, email, sliced files, estimates) runs on "
            f"{info.machine}, process {info.pid}."))
        label.setStyleSheet("")
    else:
        label.setText("No worker running")
        label.setToolTip(plain_tip(
            "No background worker is running: thumbnails, emails, sliced files and "
            "estimates wait. Start the intake (`printdesk intake`, or its service) or "
            "`printdesk worker`."))
        label.setStyleSheet(ALARM)
