"""Helpers for `printdesk` with no subcommand: is there a display, is the intake already up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from core.config import Config


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal", "vnc"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def intake_running(config: Config, timeout: float = 1.0) -> bool:
    host = "127.0.0.1" if config.intake.host in ("0.0.0.0", "::") else config.intake.host
    try:
        with urllib.request.urlopen(f"http://{host}:{config.intake.port}/healthz",
                                    timeout=timeout) as response:
            return response.status in (200, 503)
    except (urllib.error.URLError, OSError):
        return False


def ensure_intake(config: Config, data: str | None, config_file: str | None
                  ) -> subprocess.Popen[bytes] | None:
    """Start `printdesk intake` in the background unless one already answers; the started
    process (to stop with the console) or None."""
    if intake_running(config):
        print(f"The intake is already running at {config.base_url}/")
        return None
    argv = [sys.executable, "-m", "printdesk", "intake"]
    if data:
        argv += ["--data", data]
    if config_file:
        argv += ["--config", config_file]
    process = subprocess.Popen(argv)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        if intake_running(config, timeout=0.5):
            return process
        time.sleep(0.2)  # waiting for another process to listen: nothing to wait on but time
    if process.poll() is not None:
        print("printdesk: the intake did not start; see the log in the data folder.",
              file=sys.stderr)
        return None
    return process
