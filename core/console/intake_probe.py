"""Is the students' intake answering? Asked by the console (off the UI thread) and by `printdesk`.

The intake is asked at this PC's own address for the configured port first (an intake listening
on every interface answers there too), then at the students' address when that names another
host: with the database on a server, the intake may run on another PC, and the console must not
offer to start a second one. Only PrintDesk's own /healthz counts; another program on the port
is named as such, since starting an intake there would fail.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import psutil

from core.config import Config

__all__ = ["IntakeState", "intake_state", "local_url"]

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1", "0.0.0.0", "::")


@dataclass(frozen=True)
class IntakeState:
    answering: bool
    url: str  # where it answered, or where this PC's intake would answer
    detail: str  # one plain sentence for the console's banner and status bar
    elsewhere: bool = False  # it answers at the students' address, not on this PC
    port_taken: bool = False  # something that is not PrintDesk answers on the port


def _url_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def local_url(config: Config) -> str:
    """Where an intake on this PC with this configuration answers."""
    host = config.intake.host
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://{_url_host(host)}:{config.intake.port}"


def _ask(url: str, timeout: float) -> str:
    """"printdesk" when PrintDesk's /healthz answers (healthy or not), "other" when another
    program answers, "" when nothing does."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as response:
            body = response.read(4096)
    except urllib.error.HTTPError as exc:
        if exc.code != 503:  # PrintDesk answers 503 with its JSON when something is wrong
            return "other"
        body = exc.read(4096)
    except (urllib.error.URLError, OSError, ValueError):
        return ""
    try:
        answer = json.loads(body)
    except ValueError:
        return "other"
    return "printdesk" if isinstance(answer, dict) and "database" in answer else "other"


def _own_addresses() -> set[str]:
    return {a.address.split("%")[0] for addrs in psutil.net_if_addrs().values() for a in addrs
            if a.family in (socket.AF_INET, socket.AF_INET6)}


def _another_pc(url: str) -> bool:
    """Whether the students' address names a reachable PC other than this one (this PC was
    asked already, at its own address)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in LOCAL_NAMES or host.lower() in (socket.gethostname().lower(),
                                               socket.getfqdn().lower()):
        return False
    try:
        found = {info[4][0].split("%")[0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False  # a name that does not resolve leads nowhere
    own = _own_addresses()
    return any(not ipaddress.ip_address(a).is_loopback and a not in own for a in found)


def intake_state(config: Config, timeout: float = 1.0) -> IntakeState:
    here = local_url(config)
    found = _ask(here, timeout)
    if found == "printdesk":
        return IntakeState(True, here, f"The students' intake is answering at {here}/.")
    students = config.base_url.rstrip("/")
    if students and students != here and _another_pc(students) \
            and _ask(students, timeout) == "printdesk":
        return IntakeState(True, students, f"The students' intake is answering at {students}/ "
                           "(on another PC).", elsewhere=True)
    if found == "other":
        return IntakeState(False, here, f"Port {config.intake.port} on this PC answers, but not "
                           "as PrintDesk's intake: another program uses it. Stop that program or "
                           "give the intake another port ([intake] port).", port_taken=True)
    return IntakeState(False, here, f"The students' intake is not running: nothing answers at "
                       f"{here}/, so students cannot submit models.")
