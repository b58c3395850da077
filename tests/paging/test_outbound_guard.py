"""The SSRF guard when a contact method is saved: webhook and self-hosted Apprise URLs that point
at the host's own network are refused with the reason; fixed public APIs are not resolved."""

from __future__ import annotations

from typing import Any

import pytest

from watchkeeper.core import netguard
from watchkeeper.paging.models import ContactMethod

pytestmark = pytest.mark.django_db


def _add(api: Any, user: Any, address: str, kind: str = "webhook") -> Any:
    return api.post(f"/api/v1/users/{user.pk}/contact-methods", {"kind": kind, "address": address})


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("json://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
        ("jsons://10.0.0.5/hook", "10.0.0.5 is a private address"),
        ("form://169.254.169.254/latest/meta-data/", "a link-local address (the cloud metadata service)"),
        ("xml://[::1]:8080/hook", "::1 is a loopback address"),
        ("gotify://192.168.1.4/token", "192.168.1.4 is a private address"),
        ("mailto://me:pw@example.com?smtp=10.1.1.1", "10.1.1.1 is a private address"),
        ("json://8.8.8.8/a, json://10.0.0.6/b", "10.0.0.6 is a private address"),  # every URL counts
    ],
)
def test_internal_targets_are_refused_at_save_time(
    world: Any, api_as: Any, settings: Any, address: str, reason: str
) -> None:
    settings.OUTBOUND_ALLOW = []
    tech = world.a.technician
    response = _add(api_as(tech), tech, address)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "address"
    assert reason in body["detail"]
    assert "an operator can allow it with WATCHKEEPER_OUTBOUND_ALLOW" in body["detail"]
    assert not ContactMethod.objects.exists()


def test_a_host_name_is_judged_by_what_it_resolves_to(world: Any, api_as: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(netguard, "resolve", lambda host: {"hooks.msp.example": ["10.0.0.5"]}[host])
    tech = world.a.technician
    response = _add(api_as(tech), tech, "jsons://hooks.msp.example/page")
    assert response.status_code == 400
    assert "hooks.msp.example resolves to 10.0.0.5, a private address" in response.json()["detail"]


def test_a_listed_cidr_is_allowed(world: Any, api_as: Any, settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["10.20.0.0/16"]
    tech = world.a.technician
    assert _add(api_as(tech), tech, "json://10.20.1.2:8080/hook").status_code == 201
    assert _add(api_as(tech), tech, "json://10.21.1.2:8080/hook").status_code == 400


def test_fixed_public_apis_name_no_host_to_resolve(world: Any, api_as: Any, monkeypatch: Any) -> None:
    def no_dns(host: str) -> list[str]:
        raise AssertionError(f"resolved {host}: the URL names no host")

    monkeypatch.setattr(netguard, "resolve", no_dns)
    tech = world.a.technician
    api = api_as(tech)
    for kind, address in [
        ("telegram", "tgram://123456789:ABCdefGHIjklMNOpqr/987654321"),
        ("slack", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"),
        ("push", "ntfy://watchkeeper-alpha"),  # ntfy.sh, the public service
    ]:
        assert _add(api, tech, address, kind).status_code == 201, address


def test_the_console_form_shows_the_reason(world: Any, browser_as: Any, settings: Any) -> None:
    settings.OUTBOUND_ALLOW = []
    browser = browser_as(world.a.technician)
    response = browser.post(
        "/paging/contact-methods/", {"kind": "webhook", "address": "json://10.0.0.5/hook"}, follow=True
    )
    assert "10.0.0.5 is a private address; an operator can allow it" in response.content.decode()
    assert not ContactMethod.objects.exists()
