"""Console pages: content, empty states and bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import UserFactory
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.accounts.models import Role

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_home_lists_clients_with_services(world: Any) -> None:
    page = _signed_in(world.owner).get("/clients/").content.decode()
    for tenant in (world.a, world.b):
        assert tenant.client.name in page
        assert tenant.service.name in page


def test_home_queries_do_not_grow_with_clients(world: Any) -> None:
    http = _signed_in(world.owner)
    http.get("/clients/")  # warm the session and content types
    with CaptureQueriesContext(connection) as few:
        http.get("/clients/")
    for n in range(20):
        client = ClientFactory(name=f"Extra {n}")
        ServiceFactory(client=client)
        ServiceFactory(client=client, name=f"Extra {n} web site")
    with CaptureQueriesContext(connection) as many:
        response = http.get("/clients/")
    assert "Extra 19 web site" in response.content.decode()
    assert len(many) == len(few)


def test_home_empty_state_teaches() -> None:
    page = _signed_in(UserFactory(role=Role.OWNER)).get("/clients/").content.decode()
    assert "No clients yet" in page
    assert "watchkeeper client create" in page


def test_home_search(world: Any) -> None:
    page = _signed_in(world.owner).get("/clients/", {"q": "bravo"}).content.decode()
    assert world.b.client.name in page
    assert world.a.client.name not in page


def test_client_page(world: Any) -> None:
    page = _signed_in(world.a.technician).get(f"/clients/{world.a.client.slug}/").content.decode()
    assert world.a.service.name in page
    assert world.a.contact.email in page
    assert world.a.site.name in page


def test_navigation_shows_areas_by_role(world: Any) -> None:
    owner_page = _signed_in(world.owner).get("/clients/").content.decode()
    assert "Audit log" in owner_page
    assert "Incidents" in owner_page
    tech_page = _signed_in(world.a.technician).get("/clients/").content.decode()
    assert "Audit log" not in tech_page


def test_pages_use_only_local_assets(world: Any) -> None:
    page = _signed_in(world.owner).get("/clients/").content.decode()
    assert "/static/vendor/pico.min.css" in page
    assert "/static/vendor/htmx.min.js" in page
    assert "https://" not in page
    assert HttpClient().get("/static/vendor/htmx.min.js").status_code == 200


def test_audit_page_shows_before_and_after(world: Any, api_as: Any) -> None:
    api_as(world.owner).patch(f"/api/v1/services/{world.a.service.pk}", {"criticality": "critical"})
    page = _signed_in(world.owner).get("/audit/").content.decode()
    assert "service.update" in page
    assert "critical" in page


def test_unknown_page_is_a_friendly_404(world: Any) -> None:
    response = _signed_in(world.owner).get("/clients/no-such-client/")
    assert response.status_code == 404
    assert "Back to the start page" in response.content.decode()
