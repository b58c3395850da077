"""What every kind of check shares: its input, its output, and reading a target."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.monitoring.network import Network, resolve_allowed


class CheckFailed(Exception):
    """The check could not get an answer (refused, timed out, wrong protocol); says why."""


@dataclass(frozen=True)
class CheckSpec:
    monitor_id: int
    kind: str
    target: str
    settings: dict[str, Any]
    conditions: tuple[str, ...]
    timeout: float
    networks: tuple[Network, ...] = ()
    guarded: bool = True  # False on a probe inside the client's network (not the server's guard)


@dataclass
class CheckResult:
    ok: bool
    response_ms: int | None
    message: str
    values: dict[str, Any] = field(default_factory=dict)


Observe = Callable[[CheckSpec], Awaitable[dict[str, Any]]]


def host_port(target: str, default_port: int | None) -> tuple[str, int]:
    """ "host:port", "[v6]:port", "host" (with a default port) → (host, port)."""
    text = target.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not port_text:
        if default_port is None:
            raise ValueError(f"'{target}' needs a port (host:port)")
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"'{port_text}' is not a port number")
    return host, int(port_text)


async def target_address(spec: CheckSpec, host: str, port: int) -> str:
    """The address to connect to: checked against the client's networks on the server, as
    resolved on a probe (whose checks run inside the client's network by design)."""
    if spec.guarded:
        return await resolve_allowed(host, port, spec.networks)
    return await resolve_any(host, port)


async def resolve_any(host: str, port: int) -> str:
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return host
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise CheckFailed(f"{host} cannot be resolved")
    return str(infos[0][4][0])


def tls_context(spec: CheckSpec) -> ssl.SSLContext:
    """Verifying (chain and host name) unless the monitor says not to; an internal CA the MSP
    pasted (`ca_pem`) is trusted besides the system's."""
    context = ssl.create_default_context()
    ca_pem = spec.settings.get("ca_pem")
    if ca_pem:
        try:
            context.load_verify_locations(cadata=ca_pem)
        except ssl.SSLError as exc:
            raise CheckFailed(f"the monitor's CA certificate cannot be read ({exc})") from exc
    if spec.settings.get("verify_tls") is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def certificate_values(ssl_object: Any) -> dict[str, Any]:
    """[CERTIFICATE_EXPIRATION] in milliseconds from now, from a verified peer certificate."""
    if ssl_object is None:
        return {}
    certificate = ssl_object.getpeercert()
    not_after = certificate.get("notAfter") if certificate else None
    if not not_after:
        return {}
    remaining = ssl.cert_time_to_seconds(not_after) - time.time()
    return {"CERTIFICATE_EXPIRATION": int(remaining * 1000)}


def certificate_problem(exc: ssl.SSLCertVerificationError) -> str:
    reason = exc.verify_message or str(exc)
    return f"the certificate is not valid: {reason}"
