"""Where PrintDesk logs, and how: one rotating file per kind of process, plus warnings on stderr.

The console, the intake (with the worker it hosts), a worker of its own and every other command
each write their own file — console.log, intake.log, worker.log, cli.log — in `log_dir(config)`.
Several processes of one kind may run at once (two `printdesk` commands; an intake on each of two
PCs sharing a log folder on a network share), so the files are written through
concurrent-log-handler: each line is appended under a lock file, and the one process that finds
the file full renames it while holding that lock, so no line is lost or written twice, and a
rename Windows refuses (a viewer holds the file open) only delays the rotation.

Each file rotates at [logs] max_mb into <kind>.log.1, .2 … (at most BACKUPS of them); rotated files
older than [limits] retention_days are removed at each start and each rotation. PrintDesk's own
loggers write INFO (DEBUG with -v); libraries only their warnings.
"""

from __future__ import annotations

import logging
import platform
import sys
import time
from pathlib import Path

import platformdirs
from concurrent_log_handler import ConcurrentRotatingFileHandler

from core import __version__
from core.config import APP_NAME, Config, default_data_dir

__all__ = ["BACKUPS", "KINDS", "kind_for", "log_dir", "log_file", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"
KINDS = ("console", "intake", "worker", "cli")
# Rotated files kept per kind at most (the library renames each one at every rotation, so this
# stays small); with the default 5 MB a kind holds at most ~105 MB.
BACKUPS = 20
OWN_LOGGERS = ("core", "storage", "desktop", "intake", "printdesk", "__main__")
# Noisy at INFO or DEBUG; pinned to WARNING even when a library (or alembic's env) lowers them.
LIBRARY_LOGGERS = ("waitress", "watchdog", "PIL", "trimesh", "sqlalchemy", "alembic", "urllib3",
                   "asyncio", "filelock", "werkzeug", "flask_limiter", "limits", "portalocker",
                   "concurrent_log_handler", "matplotlib", "mail.log", "numexpr")
_COMMAND_KINDS = {None: "console", "console": "console", "intake": "intake", "worker": "worker"}


def kind_for(command: str | None) -> str:
    """The log file's kind for a `printdesk` subcommand (None: `printdesk` alone, the console)."""
    return _COMMAND_KINDS.get(command, "cli")


def log_dir(config: Config) -> Path:
    """[logs] folder when set; the platform's log folder for the default data folder; otherwise
    <data folder>/logs, so an explicit data folder (a test's, a script's, a second lab's) never
    writes into the real user's logs."""
    if config.logs.folder:
        return Path(config.logs.folder).expanduser()
    if _same(config.data_dir, default_data_dir()):
        return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    return config.data_dir / "logs"


def log_file(config: Config, kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown log kind {kind!r}")
    return log_dir(config) / f"{kind}.log"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


class RetainedLogFile(ConcurrentRotatingFileHandler):
    """Size-rotated, shared safely between processes, rotated files removed after `keep_days`."""

    def __init__(self, path: Path, max_bytes: int, backups: int, keep_days: int) -> None:
        super().__init__(str(path), maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.keep_seconds = keep_days * 86_400.0

    def doRollover(self) -> None:
        super().doRollover()  # emit() holds the lock file here, so pruning cannot race a rename
        self._prune()

    def prune(self) -> list[Path]:
        """Remove rotated files older than the retention period; the ones removed."""
        self._do_lock()  # the library's own lock file: no other process is rotating meanwhile
        try:
            return self._prune()
        finally:
            self._do_unlock()

    def rotated(self) -> list[Path]:
        """console.log.1, .2 … and any .rotate.* a rotation interrupted by a crash left."""
        base = Path(self.baseFilename)
        return sorted(base.parent.glob(base.name + ".*"))

    def _prune(self) -> list[Path]:
        cutoff = time.time() - self.keep_seconds
        removed = []
        for path in self.rotated():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except OSError:  # open in a viewer on Windows, or removed by another process
                continue
        return removed


def setup_logging(config: Config, kind: str = "cli", verbose: bool = False, *,
                  max_bytes: int | None = None, backups: int = BACKUPS) -> Path | None:
    """Send this process's logging to its kind's file (and warnings to stderr); the file, or
    None when the log folder cannot be written (then stderr alone, with a warning saying so).
    Called again (init creates the data folder), it replaces what it set up before."""
    root = logging.getLogger()
    again = False
    for handler in list(root.handlers):
        if getattr(handler, "_printdesk", False):
            root.removeHandler(handler)
            handler.close()
            again = True
    root.setLevel(logging.WARNING)  # anything not listed below: warnings only
    own = logging.DEBUG if verbose else logging.INFO
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handlers: list[logging.Handler] = [to_stderr]
    path = log_file(config, kind)
    problem = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = RetainedLogFile(path, max_bytes or config.logs.max_mb * 2**20, backups,
                                  config.limits.retention_days)
        to_file.prune()
    except (OSError, RuntimeError) as exc:  # RuntimeError: the lock file could not be locked
        problem = (f"cannot write the log file {path} ({getattr(exc, 'strerror', None) or exc});"
                   " logging to the screen only")
    else:
        to_file.setFormatter(logging.Formatter(FORMAT))
        handlers.append(to_file)
    for handler in handlers:
        handler._printdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    log = logging.getLogger(__name__)
    if problem:
        log.warning(problem)
    if not again:  # which process wrote what follows, and which PrintDesk it ran
        log.info("%s started (arguments: %s): PrintDesk %s, Python %s, %s, data folder %s", kind,
                 " ".join(sys.argv[1:]) or "none", __version__, platform.python_version(),
                 platform.platform(terse=True), config.data_dir)
    return None if problem else path
