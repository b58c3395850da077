"""TCP connect, TLS certificate, SMTP banner (and STARTTLS) and ICMP ping checks."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import struct
import time
from typing import Any

from watchkeeper.monitoring.checks.base import (
    CheckFailed,
    CheckSpec,
    certificate_problem,
    certificate_values,
    host_port,
    target_address,
    tls_context,
)

PING_NOT_PERMITTED = (
    "ICMP ping is not permitted for this process: the kernel refuses unprivileged ping sockets "
    "(on Linux allow the group with sysctl net.ipv4.ping_group_range='0 2147483647'), "
    "or use a TCP monitor instead"
)


async def observe_tcp(spec: CheckSpec) -> dict[str, Any]:
    host, port = host_port(spec.target, None)
    address = await target_address(spec, host, port)
    started = time.perf_counter()
    _, writer = await asyncio.open_connection(address, port)
    elapsed = round((time.perf_counter() - started) * 1000)
    writer.close()
    return {"CONNECTED": True, "IP": address, "RESPONSE_TIME": elapsed}


async def observe_tls(spec: CheckSpec) -> dict[str, Any]:
    host, port = host_port(spec.target, 443)
    address = await target_address(spec, host, port)
    server_name = str(spec.settings.get("server_name") or host)
    try:
        _, writer = await asyncio.open_connection(
            address, port, ssl=tls_context(spec), server_hostname=server_name
        )
    except ssl.SSLCertVerificationError as exc:
        raise CheckFailed(certificate_problem(exc)) from exc
    except ssl.SSLError as exc:
        raise CheckFailed(f"the TLS handshake failed ({exc.reason or exc})") from exc
    values: dict[str, Any] = {"CONNECTED": True, "IP": address}
    values.update(certificate_values(writer.get_extra_info("ssl_object")))
    writer.close()
    return values


async def _reply(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """One SMTP reply (possibly multi-line): its code and its lines' texts."""
    lines: list[str] = []
    while True:
        raw = await reader.readline()
        if not raw:
            raise CheckFailed("the server closed the connection")
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if len(line) < 3 or not line[:3].isdigit():
            raise CheckFailed(f"the answer is not SMTP: '{line[:80]}'")
        lines.append(line[4:])
        if len(line) == 3 or line[3] == " " or len(lines) > 100:
            return int(line[:3]), lines


async def observe_smtp(spec: CheckSpec) -> dict[str, Any]:
    host, port = host_port(spec.target, 25)
    address = await target_address(spec, host, port)
    reader, writer = await asyncio.open_connection(address, port)
    try:
        code, banner = await _reply(reader)
        values: dict[str, Any] = {"CONNECTED": True, "IP": address, "STATUS": code, "BODY": banner[0]}
        if code != 220:
            raise CheckFailed(f"the server greets with {code} {banner[0][:200]}")
        writer.write(b"EHLO watchkeeper.monitor\r\n")
        code, features = await _reply(reader)
        if code != 250:
            raise CheckFailed(f"EHLO answered {code} {features[0][:200]}")
        if spec.settings.get("starttls"):
            if not any(f.upper().startswith("STARTTLS") for f in features):
                raise CheckFailed("the server does not offer STARTTLS")
            writer.write(b"STARTTLS\r\n")
            code, said = await _reply(reader)
            if code != 220:
                raise CheckFailed(f"STARTTLS answered {code} {said[0][:200]}")
            try:
                await writer.start_tls(tls_context(spec), server_hostname=host)
            except ssl.SSLCertVerificationError as exc:
                raise CheckFailed(certificate_problem(exc)) from exc
            values.update(certificate_values(writer.get_extra_info("ssl_object")))
        writer.write(b"QUIT\r\n")
        return values
    finally:
        writer.close()


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ping_socket(family: int) -> socket.socket:
    """An unprivileged ICMP datagram socket, or CheckFailed saying how to permit one."""
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM, proto)
    except PermissionError as exc:
        raise CheckFailed(PING_NOT_PERMITTED) from exc
    except OSError as exc:
        raise CheckFailed(f"{PING_NOT_PERMITTED} ({exc.strerror})") from exc
    sock.setblocking(False)
    return sock


async def observe_ping(spec: CheckSpec) -> dict[str, Any]:
    host = spec.target.strip().strip("[]")
    address = await target_address(spec, host, 0)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    loop = asyncio.get_running_loop()
    with ping_socket(family) as sock:
        sequence = int.from_bytes(os.urandom(2), "big")
        payload = b"watchkeeper" + os.urandom(8)
        kind = 8 if family == socket.AF_INET else 128
        header = struct.pack("!BBHHH", kind, 0, 0, 0, sequence)
        packet = struct.pack("!BBHHH", kind, 0, _checksum(header + payload), 0, sequence) + payload
        started = time.perf_counter()
        await loop.sock_sendto(sock, packet, (address, 0))
        while True:  # the kernel delivers only replies to this socket's id
            data, _ = await loop.sock_recvfrom(sock, 2048)
            if len(data) >= 8 and data[0] in (0, 129) and struct.unpack("!H", data[6:8])[0] == sequence:
                break
    return {"CONNECTED": True, "IP": address, "RESPONSE_TIME": round((time.perf_counter() - started) * 1000)}
