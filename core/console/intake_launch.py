"""Start the students' intake in the background, detached from the console that asked.

The console offers this when no intake answers. The intake started here is a process of its own:
its own session on POSIX, detached and in its own process group on Windows, its output in a file
in the log folder (never the console's pipes, which close with it), so quitting the console,
closing its terminal or logging the console out of a session does not stop the students' page.
The command is the one a lab PC has: `printdesk intake` from a PyInstaller bundle (the bundle's
executable is the command) or `python -m printdesk intake` from an installed package.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import CONFIG_NAME, Config
from core.console.intake_probe import IntakeState, intake_state
from core.ops.logsetup import log_dir

__all__ = ["IntakeStart", "intake_argv", "output_file", "start_in_background", "wait_for_intake"]

log = logging.getLogger(__name__)

OUTPUT_NAME = "intake-output.log"
OUTPUT_KEEP_BYTES = 1024 * 1024  # a larger output file is set aside (once) at the next start
START_WAIT_S = 30.0  # a first start on a big database migrates and checks it: give it time
TAIL_BYTES = 8192

_started: list[subprocess.Popen[bytes]] = []  # kept so Python never warns about them at exit
_lock = threading.Lock()


@dataclass(frozen=True)
class IntakeStart:
    started: bool  # it answers (or, for a service, the service manager took the request)
    message: str  # one plain paragraph for the console: what happened, and what to do if not
    pid: int | None = None
    state: IntakeState | None = None


def intake_argv(data_dir: Path | str, config_file: Path | str | None = None, *,
                frozen: bool | None = None, executable: str | None = None) -> list[str]:
    """The command that serves the intake for this data folder (and configuration file).

    In a PyInstaller bundle `sys.executable` is the bundle's own `printdesk` program, which takes
    the subcommand directly (`-m` would be read as an unknown option); otherwise it is Python."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    program = executable or sys.executable
    argv = [program, "intake"] if frozen else [program, "-m", "printdesk", "intake"]
    argv += ["--data", str(data_dir)]
    if config_file is not None:
        argv += ["--config", str(config_file)]
    return argv


def argv_for(config: Config) -> list[str]:
    """The intake for the console's own settings: the same data folder and, when it was read from
    anywhere else, the same configuration file (given a data folder, only the one inside it is
    looked for). PRINTDESK_* variables reach the child through the inherited environment."""
    own = config.data_dir / CONFIG_NAME
    extra = config.config_file if config.config_file is not None and \
        config.config_file.resolve() != own.resolve() else None
    return intake_argv(config.data_dir, extra)


def output_file(config: Config) -> Path:
    return log_dir(config) / OUTPUT_NAME  # beside intake.log, where staff look


def _open_output(path: Path) -> tuple[int, int]:
    """The output file opened for appending, and where this start's output begins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # None yet, or held open by a running intake on Windows: keep appending.
    with contextlib.suppress(OSError):
        if path.stat().st_size > OUTPUT_KEEP_BYTES:
            os.replace(path, path.with_suffix(".log.1"))
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return handle, os.lseek(handle, 0, os.SEEK_END)


def _detached() -> dict[str, object]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
                | subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def reason_from(output: str) -> str:
    """What a failed start said, shortly: a traceback's last line, else the last lines."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return ""
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1][:400]
    return " / ".join(lines[-3:])[:400]


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(offset, path.stat().st_size - TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_for_intake(config: Config, deadline_s: float,
                    gave_up: Callable[[], bool] = lambda: False) -> IntakeState:
    """Ask until the intake answers, `gave_up()` says to stop asking, or the time is up."""
    end = time.monotonic() + deadline_s
    while True:
        state = intake_state(config, timeout=0.5)
        if state.answering or gave_up() or time.monotonic() >= end:
            return state
        time.sleep(0.25)  # another process is getting ready to listen: only time tells


def start_in_background(config: Config, wait_s: float = START_WAIT_S) -> IntakeStart:
    """Start `printdesk intake` for the console's data folder and wait for it to answer (or to
    give up: then its own words say why). Blocks up to `wait_s`: call it off the UI thread."""
    argv = argv_for(config)
    path = output_file(config)
    try:
        handle, offset = _open_output(path)
    except OSError as exc:
        return IntakeStart(False, f"The intake was not started: its output file {path} cannot "
                           f"be written ({exc.strerror or exc}).")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=handle,
                                   stderr=subprocess.STDOUT, close_fds=True, env=env,
                                   cwd=config.data_dir, **_detached())  # type: ignore[call-overload]
    except OSError as exc:
        return IntakeStart(False, f"The intake could not be started ({argv[0]}: "
                           f"{exc.strerror or exc}).")
    finally:
        os.close(handle)
    with _lock:
        _started[:] = [p for p in _started if p.poll() is None] + [process]
    log.info("started the intake in the background (process %s): %s", process.pid, argv)
    state = wait_for_intake(config, wait_s, gave_up=lambda: process.poll() is not None)
    code = process.poll()
    if state.answering:
        return IntakeStart(True, f"The intake started in the background (process "
                           f"{process.pid}) and answers at {state.url}/. It keeps running when "
                           f"the console closes; its output goes to {path}.", process.pid, state)
    if code is not None:
        said = reason_from(_read_from(path, offset))
        said = said if not said or said[-1] in ".!?" else f"{said}."
        hint = (f" Another program holds port {config.intake.port}: stop it or set another "
                "[intake] port." if "in use" in said.lower() or "10048" in said else "")
        return IntakeStart(False, f"The intake stopped at once (exit code {code})"
                           f"{': ' + said if said else '.'}{hint} Its output is in {path}.",
                           process.pid, state)
    return IntakeStart(False, f"The intake was started (process {process.pid}) but does not "
                       f"answer at {state.url}/ after {wait_s:.0f} s; it is left running. Its "
                       f"output is in {path}.", process.pid, state)


def started_processes() -> list[subprocess.Popen[bytes]]:
    """Intakes this process started and that still run (tests stop them)."""
    with _lock:
        return [p for p in _started if p.poll() is None]
