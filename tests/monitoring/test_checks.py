"""Each kind of check against a real server on loopback (no mocks at the network boundary)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.monitoring.servers import DnsServer, HttpServer, TlsListener, certificate, free_port
from watchkeeper.monitoring.checks import CheckResult, CheckSpec, check_run
from watchkeeper.monitoring.checks.sockets import PING_NOT_PERMITTED
from watchkeeper.monitoring.network import networks_compile

LOOPBACK = networks_compile(["127.0.0.0/8"])


def run(
    kind: str, target: str, *, conditions: tuple[str, ...] = (), timeout: float = 2, **settings: Any
) -> CheckResult:
    spec = CheckSpec(1, kind, target, settings, conditions, timeout, LOOPBACK)
    return asyncio.run(check_run(spec))


@pytest.fixture(scope="module")
def http() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.stop()


def test_http_status_keyword_json_path_and_response_time(http: HttpServer) -> None:
    result = run("http", f"{http.url}/health", conditions=("[BODY].status == UP", "len([BODY].items) == 3",
                                                          "[RESPONSE_TIME] < 2000"))  # fmt: skip
    assert result.ok, result.message
    assert result.values["STATUS"] == 200
    assert run("http", f"{http.url}/text", keyword="booking page").ok
    missing = run("http", f"{http.url}/text", keyword="Sign in")
    assert not missing.ok and "does not contain 'Sign in'" in missing.message
    assert run("http", f"{http.url}/text", regex=r"booking\s+page").ok
    wrong = run("http", f"{http.url}/health", conditions=("[BODY].status == DOWN",))
    assert not wrong.ok and "[BODY].status == DOWN" in wrong.message


def test_http_status_redirects_and_errors(http: HttpServer) -> None:
    failed = run("http", f"{http.url}/error")
    assert not failed.ok and "status 500" in failed.message
    assert run("http", f"{http.url}/error", expected_status=500).ok
    followed = run("http", f"{http.url}/redirect")
    assert followed.ok and '"path": "/health"' in followed.values["BODY"]
    kept = run("http", f"{http.url}/redirect", follow_redirects=False, expected_status=302)
    assert kept.ok


def test_a_slow_response_times_out(http: HttpServer) -> None:
    result = run("http", f"{http.url}/slow", timeout=1)
    assert not result.ok and result.message == "timed out after 1 s"


def test_tcp_connects_and_a_closed_port_is_refused(http: HttpServer) -> None:
    assert run("tcp", f"127.0.0.1:{http.port}").ok
    refused = run("tcp", f"127.0.0.1:{free_port()}")
    assert not refused.ok and refused.message == "connection refused"


def test_the_network_guard_refuses_what_the_client_may_not_reach(http: HttpServer, settings: Any) -> None:
    settings.OUTBOUND_ALLOW = []
    spec = CheckSpec(1, "http", f"{http.url}/health", {}, (), 2, ())
    result = asyncio.run(check_run(spec))
    assert not result.ok
    assert (
        "127.0.0.1 is a loopback address, outside the networks this client's monitors may reach"
        in result.message
    )
    assert run("http", f"{http.url}/health").ok  # with 127.0.0.0/8 allowed for the client


def test_tls_certificate_expiring_in_two_days_fails_its_condition(tmp_path: Path) -> None:
    context, ca_pem = certificate(tmp_path, days=2)
    listener = TlsListener(context)
    try:
        target = f"localhost:{listener.port}"
        fine = run("tls", target, ca_pem=ca_pem, conditions=("[CERTIFICATE_EXPIRATION] > 24h",))
        assert fine.ok, fine.message
        soon = run("tls", target, ca_pem=ca_pem, conditions=("[CERTIFICATE_EXPIRATION] > 72h",))
        assert not soon.ok
        assert (
            "[CERTIFICATE_EXPIRATION] > 72h failed" in soon.message
            and "certificate expires in 4" in soon.message
        )
        untrusted = run("tls", target)  # the test CA is not trusted by the system
        assert not untrusted.ok and "the certificate is not valid" in untrusted.message
        wrong_name = run("tls", target, ca_pem=ca_pem, server_name="intranet.acme.example")
        assert not wrong_name.ok and "not valid" in wrong_name.message
    finally:
        listener.stop()


def test_https_reads_the_certificate_expiry(tmp_path: Path) -> None:
    context, ca_pem = certificate(tmp_path, days=10)
    server = HttpServer(context=context)
    try:
        result = run("http", f"https://localhost:{server.port}/health", ca_pem=ca_pem,
                     conditions=("[CERTIFICATE_EXPIRATION] > 7d",))  # fmt: skip
        assert result.ok, result.message
    finally:
        server.stop()


class _Smtp:
    async def handle_EHLO(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return responses


def test_smtp_banner_and_starttls(tmp_path: Path) -> None:
    context, ca_pem = certificate(tmp_path, days=30)
    plain = Controller(_Smtp(), hostname="127.0.0.1", port=free_port(), ident="Acme mail")
    tls = Controller(
        _Smtp(), hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True
    )
    plain.start()
    tls.start()
    try:
        banner = run("smtp", f"127.0.0.1:{plain.port}", conditions=("[BODY] == pat(*Acme mail*)",))
        assert banner.ok, banner.message
        assert banner.values["STATUS"] == 220
        no_tls = run("smtp", f"127.0.0.1:{plain.port}", starttls=True)
        assert not no_tls.ok and no_tls.message == "the server does not offer STARTTLS"
        upgraded = run("smtp", f"localhost:{tls.port}", starttls=True, ca_pem=ca_pem)
        assert upgraded.ok, upgraded.message
        assert "CERTIFICATE_EXPIRATION" in upgraded.values
    finally:
        plain.stop()
        tls.stop()


def test_dns_record_and_expected_answer() -> None:
    server = DnsServer(
        {("portal.acme.example", "A"): ["192.0.2.10"], ("acme.example", "MX"): ["10 mail.acme.example."]}
    )
    try:
        resolver = f"127.0.0.1:{server.port}"
        assert run("dns", "portal.acme.example", resolver=resolver, expected="192.0.2.10").ok
        wrong = run("dns", "portal.acme.example", resolver=resolver, expected="192.0.2.99")
        assert not wrong.ok and "is 192.0.2.10, not 192.0.2.99" in wrong.message
        mx = run(
            "dns",
            "acme.example",
            resolver=resolver,
            record_type="MX",
            conditions=("[BODY] == pat(*mail.acme*)",),
        )
        assert mx.ok, mx.message
        missing = run("dns", "gone.acme.example", resolver=resolver)
        assert not missing.ok and "NXDOMAIN" in missing.message
    finally:
        server.stop()


def test_ping_answers_or_says_clearly_that_it_is_not_permitted() -> None:
    result = run("ping", "127.0.0.1")
    assert result.ok or result.message == PING_NOT_PERMITTED


def test_checks_run_concurrently(http: HttpServer) -> None:
    """Fifty slow checks take about one timeout, not fifty."""
    spec = CheckSpec(1, "http", f"{http.url}/slow", {}, (), 1, LOOPBACK)

    async def many() -> list[CheckResult]:
        return await asyncio.gather(*(check_run(spec) for _ in range(50)))

    started = threading.Event()
    started.set()
    import time

    t0 = time.monotonic()
    results = asyncio.run(many())
    assert all(not r.ok for r in results)
    assert time.monotonic() - t0 < 5
