"""Rotating log files in the data folder, plus warnings on stderr for command-line use."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"


def setup_logging(data_dir: Path, verbose: bool = False, name: str = "printdesk") -> Path:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"{name}.log"
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_printdesk", False):
            root.removeHandler(handler)
            handler.close()
    # Two processes (console, intake) share the folder, so each writes its own file: rotating
    # one file from two processes loses lines.
    to_file = logging.handlers.RotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    to_file.setFormatter(logging.Formatter(FORMAT))
    to_stderr = logging.StreamHandler()
    to_stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    for handler in (to_file, to_stderr):
        handler._printdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    return path
