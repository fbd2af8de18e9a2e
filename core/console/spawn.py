"""Start a program detached from the console and, a moment later, tell whether it gave up at once.

A slicer that cannot open the file, or an `xdg-open` with no file manager behind it, exits within
a second with a message on stderr; started with its output thrown away, that looked to staff like
a button that did nothing. The child's stderr goes to a small temporary file instead, and
`launch_problem(pid)` (asked by the console ~1.5 s later, off the UI thread) turns an early
non-zero exit into a sentence with the program's own last words.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["launch_problem", "spawn"]

TAIL_BYTES = 4096


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    program: str
    log: Path | None


_children: dict[int, _Child] = {}
_lock = threading.Lock()


def _child_env() -> dict[str, str] | None:
    # A PyInstaller bundle points LD_LIBRARY_PATH at its own libraries; a slicer started with that
    # crashes or picks the wrong Qt/GTK, so hand it the environment the console was started with.
    if not getattr(sys, "frozen", False) or sys.platform in ("win32", "darwin"):
        return None
    env = dict(os.environ)
    original = env.pop("LD_LIBRARY_PATH_ORIG", None)
    env.pop("LD_LIBRARY_PATH", None)
    if original:
        env["LD_LIBRARY_PATH"] = original
    return env


def spawn(argv: Sequence[str] | str, program: str) -> int:
    """Start `argv` in its own session (closing the console leaves it running); never wait."""
    log: Path | None = None
    stderr: int | object = subprocess.DEVNULL
    options: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                                  "close_fds": True, "env": _child_env()}
    if sys.platform == "win32":
        # GUI programs on Windows rarely write stderr, and an open log file could not be removed.
        options["creationflags"] = (getattr(subprocess, "DETACHED_PROCESS", 0x8)
                                    | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200))
    else:
        options["start_new_session"] = True
        handle, name = tempfile.mkstemp(prefix="printdesk-launch-", suffix=".log")
        log, stderr = Path(name), handle
    # cwd stays the console's: a child sitting in the job folder would stop Windows renaming it.
    try:
        child = subprocess.Popen(argv, stderr=stderr, **options)  # type: ignore[call-overload]
    except OSError:
        if log is not None:
            log.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(stderr, int) and stderr > 2:
            os.close(stderr)
    with _lock:
        # Reap finished ones with poll(): no zombies, no "still running" warning at exit.
        for pid in [p for p, c in _children.items() if c.process.poll() is not None]:
            _forget(pid)
        _children[child.pid] = _Child(child, program, log)
    return int(child.pid)


def launch_problem(pid: int, wait_s: float = 0.0) -> str | None:
    """None while the program runs or when it finished happily; else what went wrong, plainly."""
    with _lock:
        child = _children.get(pid)
    if child is None:
        return None
    try:
        code = child.process.wait(timeout=wait_s) if wait_s else child.process.poll()
    except subprocess.TimeoutExpired:
        code = None
    if code is None:
        with _lock:
            # Still running after the first moment: it started. Its log is no longer ours to
            # read (the program keeps it open; on POSIX the unlinked file goes when it exits).
            if child.log is not None:
                child.log.unlink(missing_ok=True)
                child.log = None
        return None
    words = _tail(child.log)
    with _lock:
        _forget(pid)
    if code == 0:
        return None
    said = f": {words}" if words else "."
    return f"{child.program} stopped at once (exit code {code}){said}"


def _tail(log: Path | None) -> str:
    if log is None:
        return ""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - TAIL_BYTES))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:400]


def _forget(pid: int) -> None:
    child = _children.pop(pid, None)
    if child is not None and child.log is not None:
        child.log.unlink(missing_ok=True)


def running() -> list[subprocess.Popen[bytes]]:
    """The programs started so far that have not been reaped (tests wait for them)."""
    with _lock:
        return [c.process for c in _children.values()]
