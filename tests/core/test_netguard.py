"""The SSRF guard: which addresses are refused, how the operator's allowlist opens them, and
that a host name is judged by every address it resolves to. DNS is played by a fake resolver."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks

from watchkeeper.core import netguard
from watchkeeper.core.netguard import HostUnresolvable, OutboundRefused, host_check


@pytest.fixture(autouse=True)
def _no_allowlist(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = []


@pytest.fixture
def dns(monkeypatch: Any) -> dict[str, list[str]]:
    records: dict[str, list[str]] = {}

    def fake(host: str) -> list[str]:
        if host not in records:
            raise OSError("Name or service not known")
        return records[host]

    monkeypatch.setattr(netguard, "resolve", fake)
    return records


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("10.0.0.5", "10.0.0.5 is a private address"),
        ("172.16.3.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address (the cloud metadata service)"),
        ("169.254.10.10", "a link-local address"),
        ("[::1]", "::1 is a loopback address"),
        ("::1", "a loopback address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("fd00:ec2::254", "(the cloud metadata service)"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (the address under test, not a bind)
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("::ffff:10.0.0.5", "::ffff:10.0.0.5 is a private address"),
        ("2002:a00:5::1", "a private address"),  # 6to4 of 10.0.0.5
    ],
)
def test_internal_addresses_are_refused_with_the_reason(host: str, why: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        host_check(host)
    assert why in refused.value.message
    assert refused.value.message.endswith("an operator can allow it with WATCHKEEPER_OUTBOUND_ALLOW.")


@pytest.mark.parametrize("host", ["8.8.8.8", "2606:4700:4700::1111", "[2606:4700:4700::1111]"])
def test_public_addresses_pass(host: str) -> None:
    host_check(host)


def test_a_name_is_judged_by_every_address_it_resolves_to(dns: dict[str, list[str]]) -> None:
    dns["hooks.example.com"] = ["93.184.215.14"]
    host_check("hooks.example.com")
    dns["hooks.example.com"] = ["93.184.215.14", "10.0.0.5"]  # one bad answer is enough
    with pytest.raises(OutboundRefused, match=r"hooks\.example\.com resolves to 10\.0\.0\.5, a private"):
        host_check("hooks.example.com")


def test_numeric_spellings_of_loopback_are_caught_by_resolving() -> None:
    # The C resolver reads 2130706433 as 127.0.0.1; the guard judges what it resolves to.
    with pytest.raises(OutboundRefused, match=r"resolves to 127\.0\.0\.1, a loopback address"):
        host_check("2130706433")
    with pytest.raises(OutboundRefused, match=r"resolves to 127\.0\.0\.1"):
        host_check("localhost")


def test_a_name_that_does_not_resolve_is_its_own_error(dns: dict[str, list[str]]) -> None:
    with pytest.raises(HostUnresolvable, match=r"nowhere\.invalid cannot be resolved"):
        host_check("nowhere.invalid", field="address")


def test_a_listed_cidr_allows_its_addresses_only(settings: Any, dns: dict[str, list[str]]) -> None:
    settings.OUTBOUND_ALLOW = ["10.20.0.0/16", "127.0.0.1", "fd12::/16"]
    host_check("10.20.3.4")
    host_check("127.0.0.1")
    host_check("[fd12::5]")
    dns["relay.corp.example"] = ["10.20.0.9"]
    host_check("relay.corp.example")
    for refused in ("10.21.0.1", "127.0.0.2", "169.254.169.254"):
        with pytest.raises(OutboundRefused):
            host_check(refused)


def test_a_listed_name_or_domain_is_trusted_whatever_it_resolves_to(
    settings: Any, dns: dict[str, list[str]]
) -> None:
    settings.OUTBOUND_ALLOW = ["ntfy.internal", ".corp.example"]
    dns.update({"ntfy.internal": ["10.0.0.5"], "chat.corp.example": ["10.0.0.6"]})
    dns.update({"other.internal": ["10.0.0.7"], "evilcorp.example": ["10.0.0.8"]})
    host_check("ntfy.internal")
    host_check("NTFY.internal.")
    host_check("chat.corp.example")
    host_check("corp.example")
    with pytest.raises(OutboundRefused):
        host_check("other.internal")
    with pytest.raises(OutboundRefused):
        host_check("evilcorp.example")


def test_entries_that_are_neither_cidr_nor_name_are_reported(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["10.0.0.0/8", "http://10.0.0.1/", "bad name"]
    errors = [m for m in checks.run_checks() if m.id == "watchkeeper.W001"]
    assert sorted(str(e.msg) for e in errors) == [
        "WATCHKEEPER_OUTBOUND_ALLOW entry 'bad name' is neither a CIDR nor a host name.",
        "WATCHKEEPER_OUTBOUND_ALLOW entry 'http://10.0.0.1/' is neither a CIDR nor a host name.",
    ]
