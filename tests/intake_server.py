"""The intake as students meet it: the real app behind the real waitress server (intake.serve's
make_server: its limits, styled errors and proxy handling) on a free local port."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from core.desk import Desk
from intake import create_app
from intake.serve import make_server, stop_server


@contextlib.contextmanager
def serving(desk: Desk, threads: int = 4, **test_config: Any) -> Iterator[str]:
    """Serve `desk` in a background thread; yields the base URL."""
    app = create_app(desk.config, desk, {"STRICT_TEMPLATES": True, **test_config})
    server = make_server(app, desk.config, "127.0.0.1", 0, threads=threads)
    thread = threading.Thread(target=server.run, name="intake-waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_server(server)
        thread.join(timeout=10)
