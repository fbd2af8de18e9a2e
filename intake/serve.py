"""Serve the intake with waitress (`printdesk intake`)."""

from __future__ import annotations

import logging

import waitress

from core.config import Config
from core.desk import open_desk
from intake import create_app

log = logging.getLogger(__name__)


def serve(config: Config, host: str | None = None, port: int | None = None) -> None:
    desk = open_desk(config)
    app = create_app(config, desk)
    host = host or config.intake_host
    port = port or config.intake_port
    server = waitress.create_server(
        app, host=host, port=port, threads=config.intake_threads, ident="PrintDesk",
        max_request_body_size=(config.max_upload_mb + 2) * 2**20,
        clear_untrusted_proxy_headers=True,
    )
    # Printed once the socket listens, so the address works as soon as it is shown.
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    print(f"PrintDesk intake for {config.lab_name}: http://{shown}:{port}/  (Ctrl+C stops it)",
          flush=True)
    log.info("intake serving on %s:%s", host, port)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("intake stopped with Ctrl+C")  # the normal way to stop it by hand
    finally:
        server.close()
        desk.close()
