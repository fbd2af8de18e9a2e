"""A process that logs many numbered lines through PrintDesk's log setup (test_logs.py).

Usage: python -m tests.log_child DATA_DIR KIND TAG LINES MAX_BYTES BACKUPS GO_FILE
MAX_BYTES 0: the configuration's [logs] max_mb. It sets its logging up as a `printdesk` command
of KIND would, prints "ready", waits for GO_FILE (so every child starts writing at once), then
logs LINES lines "line TAG n" from a PrintDesk logger and exits.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from core.config import load_config
from core.ops.logsetup import setup_logging

PADDING = "x" * 60  # lines of a realistic length


def main() -> None:
    data, kind, tag, lines, max_bytes, backups, go = sys.argv[1:8]
    config = load_config(data_dir=data, env={})
    setup_logging(config, kind, max_bytes=int(max_bytes) or None, backups=int(backups))
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.01)
    log = logging.getLogger("core.test_child")
    for n in range(int(lines)):
        log.info("line %s %d %s", tag, n, PADDING)


if __name__ == "__main__":
    main()
