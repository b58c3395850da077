"""Real servers on loopback for the monitoring tests: HTTP (with a switch to stop and start it
on the same port), TLS with a certificate made here, SMTP (aiosmtpd) and DNS (dnspython)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class _Handler(BaseHTTPRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the check hung up first
            super().handle()

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(3)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/health")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 500 if self.path.startswith("/error") else 200
        body = json.dumps({"status": "UP", "items": [1, 2, 3], "path": self.path}).encode()
        if self.path.startswith("/text"):
            body = b"Welcome to the Acme Dental booking page"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HttpServer:
    """A loopback HTTP(S) server that can stop and start again on the same port."""

    def __init__(self, *, context: ssl.SSLContext | None = None) -> None:
        self.context = context
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True
        if self.context is not None:
            server.socket = self.context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        scheme = "https" if self.context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"


def certificate(tmp: Path, *, days: float, host: str = "localhost") -> tuple[ssl.SSLContext, str]:
    """A CA and a server certificate for `host` valid for `days` more: (server context, CA PEM)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Watchkeeper test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, ca.public_bytes(serialization.Encoding.PEM).decode()


class TlsListener:
    """Accepts TLS connections with the given context and closes them after the handshake."""

    def __init__(self, context: ssl.SSLContext) -> None:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    with context.wrap_socket(self.request, server_side=True) as tls:
                        tls.recv(1)
                except (OSError, ssl.SSLError):
                    pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = outer.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DnsServer:
    """A tiny authoritative DNS server over UDP: `answers` maps (name, type) to record texts."""

    def __init__(self, answers: dict[tuple[str, str], list[str]]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.running = True

        def serve() -> None:
            while self.running:
                try:
                    data, peer = self.sock.recvfrom(4096)
                except OSError:
                    return
                query = dns.message.from_wire(data)
                reply = dns.message.make_response(query)
                question = query.question[0]
                name = question.name.to_text().rstrip(".")
                kind = dns.rdatatype.to_text(question.rdtype)
                records = answers.get((name, kind))
                if records is None:
                    reply.set_rcode(dns.rcode.NXDOMAIN)
                else:
                    reply.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", kind, records))
                self.sock.sendto(reply.to_wire(), peer)

        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        self.running = False
        self.sock.close()
