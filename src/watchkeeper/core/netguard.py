"""The SSRF guard: outgoing connections to hosts that people typed (DESIGN.md section 6).

A host is refused when any address it resolves to is not a public unicast address: loopback,
private (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with the cloud metadata service,
fe80::/10), unspecified, multicast, reserved or otherwise not globally routable (100.64.0.0/10…),
unless the operator allows it in `WATCHKEEPER_OUTBOUND_ALLOW` (settings.OUTBOUND_ALLOW): CIDRs
(`10.20.0.0/16`, `127.0.0.1`) or host names (`hooks.internal`; `.corp.example` for a domain and
its subdomains). A listed host name is trusted whatever it resolves to.

Callers check when a URL is saved and again just before each send (DNS answers change). What
this does not cover (redirects, the window between this check and the connection) is written
down in docs/adr/0019-outbound-guard.md.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

from watchkeeper.core.errors import InvalidInput

ALLOW_VARIABLE = "WATCHKEEPER_OUTBOUND_ALLOW"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Where clouds answer with instance credentials: named in refusals, so nobody mistakes them.
_METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
_HOST_NAME = re.compile(r"^\.?(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


class OutboundRefused(InvalidInput):
    """The host is, or resolves to, an address the guard refuses. Retrying cannot help."""


class HostUnresolvable(InvalidInput):
    """DNS gave no address for the host (a typo, or DNS is down: at send time, retry later)."""


@dataclass(frozen=True)
class Allowlist:
    networks: tuple[Network, ...] = ()
    names: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()  # ".corp.example": the domain itself and every subdomain
    invalid: tuple[str, ...] = ()  # entries that are neither; they allow nothing

    def permits_name(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.names or any(host == d[1:] or host.endswith(d) for d in self.domains)

    def permits_address(self, address: Address) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


@functools.lru_cache(maxsize=8)
def allowlist_parse(entries: tuple[str, ...]) -> Allowlist:
    networks: list[Network] = []
    names: set[str] = set()
    domains: list[str] = []
    invalid: list[str] = []
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.match(entry):
            invalid.append(raw.strip())
        elif entry.startswith("."):
            domains.append(entry)
        else:
            names.add(entry)
    return Allowlist(tuple(networks), frozenset(names), tuple(domains), tuple(invalid))


def allowlist() -> Allowlist:
    """The operator's allowlist as configured now (settings.OUTBOUND_ALLOW)."""
    return allowlist_parse(tuple(getattr(settings, "OUTBOUND_ALLOW", ())))


def embedded_ipv4(address: Address) -> Address:
    """The IPv4 address inside ::ffff:a.b.c.d and 6to4 (2002::/16) forms, which reach it."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def address_refusal(address: Address) -> str | None:
    """Why the guard refuses `address` ("a private address"), or None for a public one."""
    address = embedded_ipv4(address)
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "a non-public address"),
    )
    why = next((why for refused, why in checks if refused), None)
    if why is not None and address in _METADATA:
        why += " (the cloud metadata service)"
    return why


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to now. Tests replace this to play DNS."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # fe80::1%eth0: the zone is no address
    except ValueError:
        return None


def _refused(host: str, address: Address | None, why: str, *, field: str | None) -> OutboundRefused:
    """`address` None: `host` is the address itself."""
    said = f"{host} is {why}" if address is None else f"{host} resolves to {address}, {why}"
    return OutboundRefused(f"{said}; an operator can allow it with {ALLOW_VARIABLE}.", field=field)


def host_check(
    host: str, *, field: str | None = None, resolver: Callable[[str], list[str]] | None = None
) -> None:
    """Raise `OutboundRefused` (or `HostUnresolvable`) unless connecting to `host` is allowed.
    `host` is bare: no scheme, no port; IPv6 brackets are taken off."""
    host = host.strip().strip("[]").rstrip(".")
    if not host:
        return
    rules = allowlist()
    if rules.permits_name(host):
        return
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in (resolver or resolve)(host)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise HostUnresolvable(f"{host} cannot be resolved to an address ({exc}).", field=field) from exc
        if not addresses:
            raise HostUnresolvable(f"{host} cannot be resolved to an address.", field=field)
    for address in addresses:
        why = address_refusal(address)
        if why is not None and not rules.permits_address(embedded_ipv4(address)):
            raise _refused(host, None if literal is not None else address, why, field=field)


def hosts_check(hosts: Iterable[str], *, field: str | None = None) -> None:
    for host in hosts:
        host_check(host, field=field)
