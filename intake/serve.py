"""Serve the intake with waitress (`printdesk intake`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import waitress
from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from core.config import Config
from core.config.address import base_url_for
from core.desk import open_desk
from core.worker.signals import stop_on_signals
from core.worker.tasks import make_worker
from intake import create_app
from intake.errors import page, too_large_text
from intake.security import security_headers

log = logging.getLogger(__name__)
# Room for the form's other fields and the multipart framing around the file; the app itself
# refuses anything over max_upload_mb + 1 MiB with its own page before this is reached.
BODY_MARGIN = 2 * 2**20


def server_pages(app: Flask, config: Config) -> dict[int, bytes]:
    """Pages for the errors waitress answers itself, before the app sees the request (a body
    larger than waitress's own limit): the same styled page the app would show."""
    with app.test_request_context("/"):
        body, _ = page(413, text=too_large_text(config.limits.max_upload_mb))
    return {413: body.encode("utf-8")}


def _styled_channel(pages: dict[int, bytes]) -> type[HTTPChannel]:
    class StyledErrorTask(ErrorTask):
        def execute(self) -> None:
            error = self.request.error
            body = pages.get(error.code)
            if body is None:
                super().execute()
                return
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "text/html; charset=utf-8"))
            self.response_headers.extend(security_headers(private=True))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class StyledChannel(HTTPChannel):
        error_task_class = StyledErrorTask

    return StyledChannel


def make_server(app: Flask, config: Config, host: str, port: int, **extra: Any) -> Any:
    """A waitress server for the app, with the intake's limits and styled error pages."""
    options: dict[str, Any] = {
        "threads": config.intake.threads, "ident": "PrintDesk",
        "max_request_body_size": config.limits.max_upload_mb * 2**20 + BODY_MARGIN,
        "connection_limit": config.intake.connection_limit,
        "channel_timeout": config.intake.channel_timeout_s,
        # Without trusted proxies, forwarded headers are dropped; with them, ProxyFix in the
        # app reads them, so waitress must leave them in place.
        "clear_untrusted_proxy_headers": not config.intake.trusted_proxies,
    }
    server = waitress.create_server(app, host=host, port=port, **{**options, **extra})
    channel = _styled_channel(server_pages(app, config))
    servers = [server] if isinstance(server, BaseWSGIServer) else [
        s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    for each in servers:
        each.channel_class = channel
    return server


def stop_server(server: Any) -> None:
    """Stop a running waitress server from any thread: its own loop closes every connection and
    the listening socket (closing them from another thread races with its select())."""
    server.task_dispatcher.shutdown()

    def close_all() -> None:
        server.asyncore.close_all(server._map)

    server.trigger.pull_trigger(close_all)


def serve(config: Config, host: str | None = None, port: int | None = None,
          worker: bool = True, on_server: Callable[[Any], None] | None = None) -> None:
    """Serve until stopped (Ctrl+C, SIGTERM from a service manager, or `stop_server` called on
    the server `on_server` is given: a Windows service's stop request). `worker`: also run the
    background worker in this process (only one is active across PCs; this one waits its turn)."""
    host = host or config.intake.host
    port = port or config.intake.port
    if not config.base_url_set:  # links follow an address given on the command line
        config = replace(config, intake=replace(config.intake, host=host, port=port),
                         base_url=base_url_for(host, port))
    desk = open_desk(config)
    app = create_app(config, desk)
    server = make_server(app, config, host, port)
    if on_server is not None:
        on_server(server)
    background = make_worker(desk) if worker else None
    thread = background.start_thread() if background else None
    # Printed once the socket listens, so the address works as soon as it is shown.
    print(f"PrintDesk intake for {config.lab.name}: {config.base_url}/  (Ctrl+C stops it)",
          flush=True)
    log.info("intake serving on %s:%s for %s%s", host, port, config.base_url,
             " with the background worker" if background else "")
    try:
        with stop_on_signals(lambda: stop_server(server)):
            server.run()
    except KeyboardInterrupt:
        log.info("intake stopped with Ctrl+C")  # the normal way to stop it by hand
    finally:
        if background is not None and thread is not None:
            background.stop()
            thread.join(timeout=30)
        server.close()
        desk.close()
        log.info("intake stopped")
