"""The SSRF guard at connect time (ADR 0028): every socket that code inside `outbound_guarded()`
opens is checked against the guard (`core.netguard`) at the moment it connects, with the address
it actually connects to. That covers what a check of the URL cannot: redirects (HTTP redirects
are not followed at all inside the guard), DNS answers that change between the check and the
connection (rebinding), and plugins whose destination is not a host in their URL.

How: `socket.socket.connect`, `connect_ex` and `sendto`, `socket.getaddrinfo` and requests'
`Session.send` are wrapped once per process; the wrappers act only while the caller's context
(a `ContextVar`) holds a guard scope, so every other thread and task passes straight through.
Apprise hands its worker threads a copy of the caller's context, so its threads are guarded
too. A host name the operator allowed (WATCHKEEPER_OUTBOUND_ALLOW) is trusted whatever it
resolves to: the addresses it resolves to inside the scope are allowed for that scope.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.core import netguard


class ConnectRefused(ConnectionRefusedError):
    """The guard refused a connection (an OSError, so that HTTP and SMTP libraries report it as
    the network failure it is; the scope keeps the reason)."""


@dataclass
class Scope:
    deadline: float | None  # time.monotonic() by which every socket operation must end
    trusted: set[str] = field(default_factory=set)  # what allowed host names resolved to here
    names: dict[str, str] = field(default_factory=dict)  # address -> the name it was resolved from
    refusal: str = ""  # why a connection was refused; the first reason is kept


_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("outbound_guard", default=None)
_install_lock = threading.Lock()
_installed = False
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo


@contextlib.contextmanager
def outbound_guarded(*, seconds: float | None = None) -> Iterator[Scope]:
    """Guard every connection made in this context; `seconds`: no socket operation may end
    later than that from now (a connect past it fails with TimeoutError)."""
    _install()
    scope = Scope(deadline=None if seconds is None else time.monotonic() + seconds)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def _refuse(scope: Scope, host: str, why: str) -> ConnectRefused:
    name = scope.names.get(host)
    said = f"{name} resolves to {host}, {why}" if name else f"{host} is {why}"
    reason = f"{said}; an operator can allow it with {netguard.ALLOW_VARIABLE}."
    scope.refusal = scope.refusal or reason
    return ConnectRefused(f"refused by the outbound guard: {reason}")


def _checked(sock: socket.socket, address: Any, scope: Scope) -> Any:
    """The address to connect to, checked; a name is resolved here, once, and the answer used."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return address
    host = str(address[0])
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        # connect(("name", port)) would resolve inside C, out of our sight: resolve it here.
        infos = _getaddrinfo(host, address[1], sock.family, socket.SOCK_STREAM)
        address = (infos[0][4][0], *address[1:])
        return _checked(sock, address, scope)
    why = netguard.address_refusal(ip)
    allowed = netguard.allowlist().permits_address(netguard.embedded_ipv4(ip))
    if why is not None and not allowed and str(ip) not in scope.trusted:
        raise _refuse(scope, str(ip), why)
    if scope.deadline is not None:
        left = scope.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the delivery deadline passed before connecting")
        current = sock.gettimeout()
        sock.settimeout(left if current is None else min(current, left))
    return address


def _connect(self: socket.socket, address: Any) -> None:
    scope = _scope.get()
    _real_connect(self, address if scope is None else _checked(self, address, scope))


def _connect_ex(self: socket.socket, address: Any) -> int:
    scope = _scope.get()
    return _real_connect_ex(self, address if scope is None else _checked(self, address, scope))


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    scope = _scope.get()
    if scope is not None and args:  # sendto(data, address) or sendto(data, flags, address)
        args = (*args[:-1], _checked(self, args[-1], scope))
    return _real_sendto(self, data, *args)


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    infos = _real_getaddrinfo(host, port, *args, **kwargs)
    scope = _scope.get()
    if scope is not None and isinstance(host, str | bytes):
        name = host.decode() if isinstance(host, bytes) else host
        if _is_address(name):
            return infos
        trusted = netguard.allowlist().permits_name(name)
        for info in infos:
            address = str(info[4][0])
            scope.names.setdefault(address, name)
            if trusted:
                scope.trusted.add(address)
    return infos


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
        socket.socket.sendto = _sendto  # type: ignore[assignment]
        socket.getaddrinfo = _getaddrinfo
        _redirects_off()
        _installed = True


def _redirects_off() -> None:
    """Inside the guard requests follows no redirect: a 3xx is the answer (a failure)."""
    try:
        import requests
    except ImportError:  # pragma: no cover - Apprise brings requests
        return
    real_send = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        if _scope.get() is not None:
            kwargs["allow_redirects"] = False
        return real_send(self, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign]
