"""The per-client network guard for server-side monitors (issue 18, part 7).

Checks to internal addresses are the point of monitoring, so the installation-wide SSRF guard
(core.netguard) is widened per client: the MSP lists the private networks one client's monitors
may reach (`NetworkPolicy`). Every check resolves its host here, refuses any address outside
what is allowed, and then connects to the address it checked (never resolving again), so a DNS
answer that changes between the check and the connection cannot move it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

from watchkeeper.core import netguard
from watchkeeper.core.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_NETWORKS = 50


class Refused(Exception):
    """The target is not reachable under the client's network policy; says why."""


def networks_parse(entries: Iterable[str] | str) -> list[str]:
    """Cleaned CIDR texts ("10.20.0.0/16"), or InvalidInput naming the first that is not one."""
    if isinstance(entries, str):
        entries = [e for e in entries.replace(",", "\n").splitlines()]
    cleaned: list[str] = []
    for raw in entries:
        entry = str(raw).strip()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise InvalidInput(
                f"'{entry}' is not a network: write an address or a CIDR such as 10.20.0.0/16.",
                field="allowed_networks",
            ) from None
        if network.prefixlen == 0:
            raise InvalidInput(
                f"'{entry}' is every address; list the client's networks one by one.",
                field="allowed_networks",
            )
        cleaned.append(str(network))
    if len(cleaned) > MAX_NETWORKS:
        raise InvalidInput(f"At most {MAX_NETWORKS} networks per client.", field="allowed_networks")
    return sorted(set(cleaned))


def networks_compile(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def address_refusal(address: str, networks: tuple[Network, ...]) -> str | None:
    """Why `address` may not be reached by this client's monitors, or None when it may."""
    ip = netguard.embedded_ipv4(ipaddress.ip_address(address.split("%", 1)[0]))
    why = netguard.address_refusal(ip)
    if why is None:
        return None
    if any(ip.version == net.version and ip in net for net in networks):
        return None
    if netguard.allowlist().permits_address(ip):
        return None
    return (
        f"{address} is {why}, outside the networks this client's monitors may reach; "
        "an MSP admin can add its network on the client's monitoring settings"
    )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


async def resolve_allowed(host: str, port: int, networks: tuple[Network, ...]) -> str:
    """The first address of `host` this client may reach; Refused when it resolves to none."""
    host = host.strip("[]")
    if _is_address(host):
        addresses = [host]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} cannot be resolved ({exc})") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise Refused(f"{host} cannot be resolved")
        if netguard.allowlist().permits_name(host):
            return addresses[0]
    reasons: list[str] = []
    for address in addresses:
        why = address_refusal(address, networks)
        if why is None:
            return address
        reasons.append(why)
    raise Refused(f"refused by the network guard: {reasons[0]}")
