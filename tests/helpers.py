"""Helpers the tests share (fixtures live in conftest.py and the plugin modules it names)."""

from __future__ import annotations

from core.desk import Desk
from core.worker.tasks import make_worker


def run_worker_once(desk: Desk) -> int:
    """What the background worker would do next, done now: thumbnails of new jobs and so on."""
    return make_worker(desk).run_once()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
