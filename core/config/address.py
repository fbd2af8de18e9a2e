"""The address students use to reach the intake: what every link in the console and in emails
starts with. A lab PC serves students on other machines, so a link must never say 127.0.0.1 or
0.0.0.0 unless the intake really serves only this PC."""

from __future__ import annotations

import ipaddress
import socket

WILDCARDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This PC's address on its local network, without sending anything: a UDP socket
    "connected" to a private address reveals which local address the route would use."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if is_loopback(address) or address == "0.0.0.0" else address


def network_name() -> str | None:
    """The PC's full name on the network when it has one that resolves to a real address (the
    address stays right when the IP changes); None otherwise. May wait on DNS: call it once,
    at `printdesk init`, never per request."""
    name = socket.getfqdn()
    if "." not in name or name.endswith(".localdomain") or name == "localhost":
        return None
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        return None
    return name if resolved and not all(is_loopback(a) for a in resolved) else None


def base_url_for(host: str, port: int, derived_host: str | None = None) -> str:
    """The students' address when none is configured: localhost when serving only this PC,
    else the PC's network address (`derived_host`, or its LAN address)."""
    if is_loopback(host):
        name = "localhost"
    elif host in WILDCARDS:
        name = derived_host or lan_address() or socket.gethostname() or "localhost"
    else:
        name = host
    if ":" in name:  # an IPv6 literal
        name = f"[{name}]"
    return f"http://{name}:{port}"


def suggested_base_url(port: int) -> str:
    """What `printdesk init` offers as the students' address."""
    return base_url_for("0.0.0.0", port, network_name())
