"""A real SMTP server for the email tests: aiosmtpd on 127.0.0.1 at a free port, optionally with
STARTTLS (a certificate from a throw-away CA made by trustme) and a login, that can refuse
recipients or hold a message until told to answer (to kill a sender mid-send)."""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.helpers import free_port

USER, SECRET = "fablab@example.edu", "smtp-secret-1"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: str | None = None  # e.g. "550 5.1.1 mailbox unavailable"
    hold: threading.Event | None = None  # DATA waits for it before answering
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold is not None:
            self.holding.set()
            while not self.hold.is_set():  # a slow server; the sender may die meanwhile
                import asyncio

                await asyncio.sleep(0.05)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
          and auth_data.password.decode() == SECRET)
    return AuthResult(success=ok)


class SmtpServer:
    def __init__(self, tls_dir: Path | None = None, port: int | None = None) -> None:
        self.handler = Handler()
        self.port = port or free_port()
        self.ca_file: Path | None = None
        self._tls: ssl.SSLContext | None = None
        if tls_dir is not None:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("localhost", "127.0.0.1")
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(self._tls)
            self.ca_file = tls_dir / "lab-ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        options: dict[str, Any] = {}
        if self._tls is not None:
            options.update(tls_context=self._tls, require_starttls=True,
                           authenticator=_authenticate, auth_require_tls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def settings(self) -> dict[str, Any]:
        """[smtp] for a lab sending through this server."""
        values: dict[str, Any] = {"host": "127.0.0.1", "port": self.port,
                                  "from_address": "fablab@example.edu", "timeout_s": 5,
                                  "max_attempts": 3}
        if self._tls is not None:
            values.update(host="localhost", security="starttls", username=USER,
                          password=SECRET, ca_file=str(self.ca_file))
        else:
            values.update(security="none")
        return values
