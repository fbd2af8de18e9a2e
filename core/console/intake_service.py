"""The intake's service on a lab PC (packaging/ installs it): is it installed, and start it.

Linux: the systemd unit `printdesk-intake.service` (a system unit running as the `printdesk`
user; a user unit of the same name is found too). Windows: the service `PrintDeskIntake`.
Starting a system service usually needs an administrator: the console asks the service manager
(on a Linux desktop, polkit may ask for an administrator's password itself), and when that is
refused it shows the exact command to run with those rights; it never runs sudo itself.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass

from core.config import Config
from core.console.intake_launch import START_WAIT_S, IntakeStart, wait_for_intake

__all__ = ["SYSTEMD_UNIT", "WINDOWS_SERVICE", "IntakeService", "find_service", "start_service"]

log = logging.getLogger(__name__)

SYSTEMD_UNIT = "printdesk-intake.service"
WINDOWS_SERVICE = "PrintDeskIntake"
ASK_TIMEOUT_S = 5
START_TIMEOUT_S = 120  # an administrator may be typing a password into polkit's dialog


@dataclass(frozen=True)
class IntakeService:
    name: str
    manager: str  # "systemd", "systemd --user" or "Windows"
    running: bool
    start_argv: tuple[str, ...]
    by_hand: str  # the exact command to start it, for a terminal with the rights it needs


def _quiet() -> dict[str, object]:
    # From a console without a terminal on Windows, each sc.exe would flash a window.
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NO_WINDOW}  # type: ignore[attr-defined]
    return {}


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, **_quiet())  # type: ignore[call-overload]
    except (OSError, subprocess.TimeoutExpired):
        return None


def _systemd(user: bool) -> IntakeService | None:
    systemctl = ["systemctl", "--user"] if user else ["systemctl"]
    answer = _run([*systemctl, "show", "--property=LoadState,ActiveState", SYSTEMD_UNIT],
                  ASK_TIMEOUT_S)
    if answer is None or answer.returncode != 0:  # no systemd running here (or no user manager)
        return None
    values = dict(line.split("=", 1) for line in answer.stdout.splitlines() if "=" in line)
    if values.get("LoadState") != "loaded":
        return None
    return IntakeService(SYSTEMD_UNIT, " ".join(systemctl), values.get("ActiveState") == "active",
                         (*systemctl, "start", SYSTEMD_UNIT),
                         f"{'' if user else 'sudo '}{' '.join(systemctl)} start {SYSTEMD_UNIT}")


def _windows() -> IntakeService | None:
    answer = _run(["sc.exe", "query", WINDOWS_SERVICE], ASK_TIMEOUT_S)
    if answer is None or answer.returncode != 0:  # 1060: no such service
        return None
    running = any("STATE" in line and "RUNNING" in line for line in answer.stdout.splitlines())
    # sc.exe, not sc: in PowerShell `sc` is Set-Content.
    return IntakeService(WINDOWS_SERVICE, "Windows", running,
                         ("sc.exe", "start", WINDOWS_SERVICE),
                         f"sc.exe start {WINDOWS_SERVICE}   (in a terminal run as administrator)")


def find_service() -> IntakeService | None:
    """The intake's service if this PC has one installed; None otherwise (macOS included: its
    launchd agent starts at login by itself)."""
    if sys.platform == "win32":
        return _windows()
    if sys.platform.startswith("linux") and shutil.which("systemctl"):
        return _systemd(user=False) or _systemd(user=True)
    return None


def start_service(service: IntakeService, config: Config,
                  wait_s: float = START_WAIT_S) -> IntakeStart:
    """Ask the service manager to start the intake's service, then wait for it to answer.
    Blocks (up to a couple of minutes with a password dialog): call it off the UI thread."""
    answer = _run(list(service.start_argv), START_TIMEOUT_S)
    if answer is None or answer.returncode != 0:
        said = " ".join((answer.stderr or answer.stdout).split())[:300] if answer else \
            "the service manager did not answer"
        log.warning("could not start the intake service %s: %s", service.name, said)
        return IntakeStart(False, f"The {service.manager} service {service.name} was not "
                           f"started ({said or 'no reason given'}). Start it with administrator "
                           f"rights: {service.by_hand}")
    state = wait_for_intake(config, wait_s)
    if state.answering:
        return IntakeStart(True, f"The service {service.name} started; the intake answers at "
                           f"{state.url}/. It runs on its own, with or without the console.",
                           state=state)
    return IntakeStart(False, f"The service {service.name} was started, but nothing answers at "
                       f"{state.url}/ after {wait_s:.0f} s: it may serve another data folder "
                       "or port than this console's configuration, or it stopped (see the "
                       "service's log).", state=state)
