"""HTTP(S) checks over h11 on asyncio streams: method, headers, body, redirects, status, body
(up to BODY_LIMIT) and, over HTTPS, the certificate's expiry.

Not httpx: each hop connects to the address the network guard checked (the name is resolved
once, by the guard), and ten thousand checks a minute on one core need the lighter path.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any
from urllib.parse import urljoin, urlsplit

import h11

from watchkeeper.monitoring.checks.base import (
    CheckFailed,
    CheckSpec,
    certificate_problem,
    certificate_values,
    target_address,
    tls_context,
)

BODY_LIMIT = 1_048_576  # bytes of a response kept for conditions, keyword and regex
MAX_REDIRECTS = 5
USER_AGENT = "Watchkeeper-Monitor/1"


def _request_headers(spec: CheckSpec, host_header: str, body: bytes) -> list[tuple[str, str]]:
    headers = [("Host", host_header), ("User-Agent", USER_AGENT), ("Accept", "*/*"), ("Connection", "close")]
    user = spec.settings.get("headers") or {}
    names = {name.lower() for name in user}
    headers = [(k, v) for k, v in headers if k.lower() not in names or k == "Host"]
    headers += [(str(k), str(v)) for k, v in user.items() if str(k).lower() != "host"]
    if body:
        headers.append(("Content-Length", str(len(body))))
    return headers


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: h11.Request, body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    connection = h11.Connection(h11.CLIENT)
    data = connection.send(request) or b""
    if body:
        data += connection.send(h11.Data(data=body)) or b""
    data += connection.send(h11.EndOfMessage()) or b""
    writer.write(data)
    await writer.drain()
    status, headers, chunks, size = 0, [], [], 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            received = await reader.read(65536)
            connection.receive_data(received)
            continue
        if isinstance(event, h11.Response):
            status, headers = event.status_code, list(event.headers)
        elif isinstance(event, h11.Data):
            if size < BODY_LIMIT:
                chunks.append(bytes(event.data[: BODY_LIMIT - size]))
            size += len(event.data)
            if size >= BODY_LIMIT:
                break
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    return status, headers, b"".join(chunks)


async def _hop(spec: CheckSpec, url: str, method: str, body: bytes) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CheckFailed(f"'{url}' is not an http:// or https:// URL")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = await target_address(spec, parts.hostname, port)
    context = tls_context(spec) if https else None
    try:
        reader, writer = await asyncio.open_connection(
            address, port, ssl=context, server_hostname=parts.hostname if https else None
        )
    except ssl.SSLCertVerificationError as exc:
        raise CheckFailed(certificate_problem(exc)) from exc
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = h11.Request(
            method=method,
            target=target,
            headers=_request_headers(spec, parts.netloc.rpartition("@")[2], body),
        )
        status, headers, content = await _exchange(reader, writer, request, body)
        values: dict[str, Any] = {"STATUS": status, "IP": address, "CONNECTED": True}
        values["BODY"] = content.decode("utf-8", "replace")
        values["_headers"] = headers
        if https:
            values.update(certificate_values(writer.get_extra_info("ssl_object")))
        return values
    except h11.RemoteProtocolError as exc:
        raise CheckFailed(f"the answer is not HTTP ({exc})") from exc
    finally:
        writer.close()


async def observe(spec: CheckSpec) -> dict[str, Any]:
    method = str(spec.settings.get("method") or "GET").upper()
    body = str(spec.settings.get("body") or "").encode()
    follow = spec.settings.get("follow_redirects", True)
    url = spec.target
    for _ in range(MAX_REDIRECTS + 1):
        values = await _hop(spec, url, method, body)
        headers = values.pop("_headers")
        location = next((v.decode("latin-1") for k, v in headers if k == b"location"), None)
        if not (follow and values["STATUS"] in {301, 302, 303, 307, 308} and location):
            return values
        url = urljoin(url, location)
        if values["STATUS"] == 303 or (values["STATUS"] in {301, 302} and method == "POST"):
            method, body = "GET", b""
    raise CheckFailed(f"more than {MAX_REDIRECTS} redirects")
