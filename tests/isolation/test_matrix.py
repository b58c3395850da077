"""The isolation matrix: every URL and API operation, visited as actors of another client.

Tenant A is the victim; B's client user, client admin, assigned technician and a manager
restricted to B are the attackers. Nothing of A's may appear in any answer, A's objects
answer 404, and writes that point at A's objects change nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.accounts.factories import UserFactory
from tests.isolation.registry import API, DETAIL, LIST, PAGE, PUBLIC, URLS, WRITE, Spec
from watchkeeper.accounts.models import Role, User
from watchkeeper.alerts.models import Alert, EventRule, Integration, MaintenanceWindow
from watchkeeper.audit.services import snapshot
from watchkeeper.comms.models import ClientUpdate, CommunicationPolicy, ContactRoles, MessageTemplate
from watchkeeper.incidents.models import Incident, TimelineEntry
from watchkeeper.knowledge.models import Article, Runbook, RunbookRun
from watchkeeper.paging.models import EscalationLevel, EscalationPolicy, EscalationTarget, ServiceEscalation
from watchkeeper.reviews.models import ActionItem, Review
from watchkeeper.tenancy.models import Client, Contact, Service, Site

API_SHELL = {"api-root", "openapi-json", "openapi-view"}
ATTACKERS = ("client_user", "client_admin", "technician", "manager")


def _url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            namespace = entry.namespace or ""
            names |= _url_names(entry, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            # API operations are covered through the OpenAPI document instead.
            if prefix == "api:" and entry.name not in API_SHELL:
                continue
            names.add(f"{prefix}{entry.name}")
    return names


def _attacker(world: Any, kind: str) -> User:
    if kind == "manager":
        manager: User = UserFactory(role=Role.MANAGER, email="manager@bravo.example")
        manager.assigned_clients.add(world.b.client)
        return manager
    return getattr(world.b, kind)  # type: ignore[no-any-return]


def _markers(world: Any) -> list[str]:
    """Strings only the victim's data contains."""
    return [world.a.client.name, world.a.service.name, world.a.contact.email, world.a.client_user.email]


def _victim_state(world: Any) -> list[dict[str, Any]]:
    rows = [Client.objects.get(pk=world.a.client.pk)]
    rows += list(Service.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(Contact.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(Site.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(Integration.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(Alert.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(Incident.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(TimelineEntry.objects.filter(incident__client=world.a.client).order_by("pk"))
    rows += list(EventRule.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(MaintenanceWindow.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(EscalationPolicy.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(EscalationLevel.objects.filter(policy__client=world.a.client).order_by("pk"))
    rows += list(EscalationTarget.objects.filter(level__policy__client=world.a.client).order_by("pk"))
    rows += list(ServiceEscalation.objects.filter(service__client=world.a.client).order_by("pk"))
    rows += list(Review.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(ActionItem.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(CommunicationPolicy.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(MessageTemplate.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(ContactRoles.objects.filter(contact__client=world.a.client).order_by("pk"))
    rows += list(ClientUpdate.objects.filter(incident__client=world.a.client).order_by("pk"))
    rows += list(Article.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(Runbook.objects.filter(client=world.a.client).order_by("pk"))
    rows += list(RunbookRun.objects.filter(client=world.a.client).order_by("pk"))
    return [snapshot(row) for row in rows]


def _assert_no_leak(world: Any, response: Any, where: str) -> None:
    body = response.content.decode(errors="replace")
    for marker in _markers(world):
        assert marker not in body, f"{where} leaked {marker!r} (status {response.status_code})"


def test_every_url_is_declared() -> None:
    missing = _url_names() - set(URLS)
    assert not missing, f"Add these URLs to tests/isolation/registry.py: {sorted(missing)}"
    stale = set(URLS) - _url_names()
    assert not stale, f"Registry names URLs that no longer exist: {sorted(stale)}"


@pytest.mark.django_db  # a request passes the middleware: session, messages, branding
def test_every_api_operation_is_declared(client: HttpClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    missing = operations - set(API)
    assert not missing, f"Add these API operations to tests/isolation/registry.py: {sorted(missing)}"
    stale = set(API) - operations
    assert not stale, f"Registry names operations that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize("name", sorted(URLS))
def test_html_urls_as_another_clients_actor(world: Any, attacker: str, name: str) -> None:
    spec: Spec = URLS[name]
    http = HttpClient()
    http.force_login(_attacker(world, attacker))
    url = reverse(name, kwargs=spec.params(world.a) or None)
    before = _victim_state(world)
    response = (
        http.post(url, spec.body(world.a) if spec.body else {}) if spec.method == "POST" else http.get(url)
    )
    where = f"{spec.method} {url} as B's {attacker}"
    if spec.kind == DETAIL:
        assert response.status_code == 404, where
    else:
        assert response.status_code in {200, 302, 400, 401, 403, 404, 405}, f"{where}: {response.status_code}"
    _assert_no_leak(world, response, where)
    assert _victim_state(world) == before, f"{where} changed the other client's data"


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_operations_as_another_clients_actor(
    world: Any, api_as: Any, attacker: str, method: str, path: str
) -> None:
    spec = API[(method, path)]
    api = api_as(_attacker(world, attacker), scopes=["read", "write", "admin"])
    url = path.format(**(spec.params(world.a) or {}))  # a planting function returns nothing
    if spec.query:
        url = f"{url}?{urlencode(spec.query)}"
    before = _victim_state(world)
    body = json.dumps(spec.body(world.a)) if spec.body else None
    response = api.http.generic(method, url, body or "", content_type="application/json", headers=api.headers)
    where = f"{method} {url} as B's {attacker}"
    if spec.kind == DETAIL:
        assert response.status_code == 404, f"{where}: {response.status_code}"
    elif spec.kind == WRITE:
        assert response.status_code in {400, 403, 404}, (
            f"{where}: {response.status_code} {response.content!r}"
        )
    elif spec.kind in {LIST, PAGE, PUBLIC}:
        assert response.status_code in {200, 403, 404}, f"{where}: {response.status_code}"
    _assert_no_leak(world, response, where)
    assert _victim_state(world) == before, f"{where} changed the other client's data"


@pytest.mark.django_db  # a request passes the middleware: session, messages, branding
def test_client_filters_are_declared(client: HttpClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for (method, path), entry in API.items():
        parameters = spec["paths"][path][method.lower()].get("parameters", [])
        takes_client = "client" in {parameter["name"] for parameter in parameters}
        assert takes_client == entry.client_filter, f"{method} {path}: set client_filter={takes_client}"


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize(("method", "path"), sorted(p for p, s in API.items() if s.client_filter))
def test_api_lists_filtered_by_the_other_client_are_404(
    world: Any, api_as: Any, attacker: str, method: str, path: str
) -> None:
    api = api_as(_attacker(world, attacker))
    response = api.get(path, client=world.a.client.slug)
    assert response.status_code == 404
    _assert_no_leak(world, response, f"{path}?client=A")


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_admin_isolation(world: Any, attacker: str) -> None:
    """Portal users and technicians never enter the admin; a restricted manager sees only B."""
    http = HttpClient()
    http.force_login(_attacker(world, attacker))
    victim_urls = [
        reverse("admin:index"),
        reverse("admin:tenancy_client_changelist"),
        reverse("admin:tenancy_client_change", args=[world.a.client.pk]),
        reverse("admin:tenancy_service_changelist"),
        reverse("admin:tenancy_service_change", args=[world.a.service.pk]),
        reverse("admin:tenancy_contact_changelist"),
        reverse("admin:tenancy_contact_change", args=[world.a.contact.pk]),
        reverse("admin:tenancy_site_changelist"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[world.a.client_user.pk]),
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:tenancy_service_add"),
    ]
    for url in victim_urls:
        response = http.get(url)
        assert response.status_code in {200, 302, 403, 404}, url
        if attacker != "manager":
            assert response.status_code == 302 and "/admin/login/" in response["Location"], url
        _assert_no_leak(world, response, f"admin {url} as B's {attacker}")


@pytest.mark.parametrize(("method", "path"), sorted(p for p, s in API.items() if s.kind == DETAIL))
def test_api_details_answer_their_own_tenant(world: Any, api_as: Any, method: str, path: str) -> None:
    """Control: the same requests succeed for the victim's own user (its client admin, or its
    technician for MSP-only data), so a 404 above means isolation."""
    spec = API[(method, path)]
    response = api_as(getattr(world.a, spec.viewer)).get(path.format(**spec.params(world.a)))
    assert response.status_code == 200
    assert any(marker in response.content.decode() for marker in _markers(world))


@pytest.mark.parametrize("name", sorted(n for n, s in URLS.items() if s.kind == DETAIL))
def test_html_details_answer_their_own_tenant(world: Any, name: str) -> None:
    http = HttpClient()
    http.force_login(getattr(world.a, URLS[name].viewer))
    response = http.get(reverse(name, kwargs=URLS[name].params(world.a)))
    assert response.status_code == 200
    assert world.a.client.name in response.content.decode()
