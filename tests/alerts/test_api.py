"""The integrations and alerts API: scoping, filters, keys, writes and query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.services.intake import integration_for_key
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock


def _alert(integration: Integration, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "client": integration.client, "integration": integration, "service": integration.default_service,
        "dedup_key": f"key-{Alert.objects.count()}", "summary": "CPU high", "severity": "warning",
        "first_seen_at": clock.now(), "last_seen_at": clock.now(),
    }  # fmt: skip
    return Alert.objects.create(**{**values, **fields})


# --- alerts ------------------------------------------------------------------------------


def test_no_token_is_401(world: Any, client: Any) -> None:
    for path in ("/api/v1/alerts", "/api/v1/integrations", f"/api/v1/alerts/{world.a.alert.pk}"):
        assert client.get(path).status_code == 401, path


def test_alert_items_carry_their_service_integration_and_incident(world: Any, api_as: Any) -> None:
    body = api_as(world.a.technician).get("/api/v1/alerts").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == world.a.alert.pk
    assert item["client"] == world.a.client.slug
    assert (item["dedup_key"], item["status"], item["severity"]) == ("server/ping", "triggered", "critical")
    assert item["occurrence_count"] == 1
    assert (item["suppressed"], item["suppressed_reason"]) == (False, "")
    assert item["service"] == {"id": world.a.service.pk, "name": world.a.service.name}
    assert item["integration"]["id"] == world.a.integration.pk
    incident = world.a.incident
    assert item["incident"] == {"id": incident.pk, "number": incident.number, "reference": incident.reference}
    assert {"first_seen_at", "last_seen_at", "summary"} <= set(item)
    assert "raw" not in item


def test_alert_detail_has_labels_details_links_and_raw(world: Any, api_as: Any) -> None:
    alert = _alert(
        world.a.integration, labels={"env": "prod"}, details={"disk": "99%"},
        links=[{"href": "https://grafana.example/d/1", "text": "Dashboard"}], raw={"payload": {"a": 1}},
        suppressed=True, suppressed_reason="Maintenance window: patch night",
    )  # fmt: skip
    body = api_as(world.a.technician).get(f"/api/v1/alerts/{alert.pk}").json()
    assert body["labels"] == {"env": "prod"}
    assert body["details"] == {"disk": "99%"}
    assert body["links"][0]["text"] == "Dashboard"
    assert body["raw"] == {"payload": {"a": 1}}
    assert body["incident"] is None
    assert (body["suppressed"], body["suppressed_reason"]) == (True, "Maintenance window: patch night")


def test_alert_filters(world: Any, api_as: Any) -> None:
    other_service = ServiceFactory(client=world.a.client, name="Alpha Dental firewall")
    other = IntegrationFactory(default_service=other_service, name="Alpha firewall syslog")
    resolved = _alert(world.a.integration, dedup_key="backup/nightly", status="resolved")
    acked = _alert(other, dedup_key="fw/cpu", status="acknowledged")
    api = api_as(world.owner)

    def ids(**params: Any) -> set[int]:
        response = api.get("/api/v1/alerts", **params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids(client=world.b.client.slug) == {world.b.alert.pk}
    assert ids(client=world.a.client.slug, status="resolved") == {resolved.pk}
    assert ids(client=world.a.client.slug, status="open") == {world.a.alert.pk, acked.pk}
    assert ids(status=["triggered", "resolved"], client=world.a.client.slug) == {
        world.a.alert.pk,
        resolved.pk,
    }
    assert ids(status="acknowledged,resolved") == {acked.pk, resolved.pk}
    assert ids(dedup_key="fw/cpu") == {acked.pk}
    assert ids(integration=other.pk) == {acked.pk}
    assert ids(service=other_service.pk) == {acked.pk}
    assert ids(incident=world.a.incident.pk) == {world.a.alert.pk}
    response = api.get("/api/v1/alerts", status="on-fire")
    assert response.status_code == 400
    assert response.json()["field"] == "status"


def test_alerts_newest_first_and_paginated(world: Any, api_as: Any) -> None:
    for minutes in (1, 2, 3):
        clock.advance(dt.timedelta(minutes=minutes))
        _alert(world.a.integration, summary=f"alert {minutes}")
    api = api_as(world.a.technician)
    body = api.get("/api/v1/alerts", limit=2, offset=0).json()
    assert body["count"] == 4
    assert [item["summary"] for item in body["items"]] == ["alert 3", "alert 2"]
    body = api.get("/api/v1/alerts", limit=2, offset=2).json()
    assert [item["summary"] for item in body["items"]] == ["alert 1", "Practice server unreachable"]
    assert api.get("/api/v1/alerts", limit=0).status_code == 400


def test_portal_users_see_no_alerts_or_integrations(world: Any, api_as: Any) -> None:
    for user in (world.a.client_admin, world.a.client_user):
        api = api_as(user)
        assert api.get("/api/v1/alerts").json() == {"items": [], "count": 0}
        assert api.get("/api/v1/integrations").json() == {"items": [], "count": 0}
        assert api.get(f"/api/v1/alerts/{world.a.alert.pk}").status_code == 404
        assert api.get(f"/api/v1/integrations/{world.a.integration.pk}").status_code == 404


def test_other_tenants_alert_is_404_and_filter_by_other_client_is_404(world: Any, api_as: Any) -> None:
    api = api_as(world.b.technician)
    assert api.get(f"/api/v1/alerts/{world.a.alert.pk}").status_code == 404
    assert api.get("/api/v1/alerts", client=world.a.client.slug).status_code == 404
    # Ids of another tenant's objects simply match nothing.
    assert api.get("/api/v1/alerts", integration=world.a.integration.pk).json()["count"] == 0
    assert api.get("/api/v1/alerts", incident=world.a.incident.pk).json()["count"] == 0


def test_token_restricted_to_one_client_sees_only_it(world: Any, api_as: Any) -> None:
    api = api_as(world.owner, client=world.b.client)
    assert [item["id"] for item in api.get("/api/v1/alerts").json()["items"]] == [world.b.alert.pk]
    assert api.get(f"/api/v1/alerts/{world.a.alert.pk}").status_code == 404


def _queries(api: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, limit=100)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", ["/api/v1/alerts", "/api/v1/integrations"])
def test_list_query_count_does_not_grow_with_rows(world: Any, api_as: Any, path: str) -> None:
    api = api_as(world.a.technician)
    api.get(path)  # the token's first use records itself once
    few = _queries(api, path)
    for n in range(8):
        service = ServiceFactory(client=world.a.client, name=f"Service {n}")
        _alert(IntegrationFactory(default_service=service, name=f"Feed {n}"))
    many = _queries(api, path)
    assert api.get(path).json()["count"] >= 9
    assert many == few


# --- integrations ------------------------------------------------------------------------


def test_integration_list_and_type_filter(world: Any, api_as: Any) -> None:
    email = IntegrationFactory(default_service=world.a.service, type="email", name="Alpha mailbox")
    api = api_as(world.owner)
    body = api.get("/api/v1/integrations", client=world.a.client.slug).json()
    assert {item["id"] for item in body["items"]} == {world.a.integration.pk, email.pk}
    assert "key" not in body["items"][0]
    items = api.get("/api/v1/integrations", type="email").json()["items"]
    assert [item["id"] for item in items] == [email.pk]
    assert items[0]["default_service"] == {"id": world.a.service.pk, "name": world.a.service.name}
    response = api.get("/api/v1/integrations", type="carrier-pigeon")
    assert response.status_code == 400
    assert "pagerduty" in response.json()["detail"]


def test_key_shown_only_to_those_who_may_manage(world: Any, api_as: Any) -> None:
    path = f"/api/v1/integrations/{world.a.integration.pk}"
    assert api_as(world.a.technician).get(path).json()["key"] == world.a.integration.key
    assert api_as(world.owner).get(path).json()["key"] == world.a.integration.key
    assert api_as(world.a.technician, scopes=["read"]).get(path).json()["key"] is None
    manager = UserFactory(role=Role.MANAGER, all_clients=True)
    assert api_as(manager).get(path).json()["key"] == world.a.integration.key


def test_create_integration(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    response = api.post(
        "/api/v1/integrations",
        {"client": world.a.client.slug, "type": "alertmanager", "name": "Prometheus",
         "service_id": world.a.service.pk, "config": {"grouping": {"labels": ["alertname"]}}},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    integration = Integration.objects.get(pk=body["id"])
    assert body["key"] == integration.key and len(body["key"]) == 32
    assert (integration.type, integration.default_service, integration.client) == (
        "alertmanager", world.a.service, world.a.client,
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="integration.create", via="api").count() == 1
    duplicate = api.post(
        "/api/v1/integrations", {"client": world.a.client.slug, "type": "webhook", "name": "Prometheus"}
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["field"] == "name"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "fax", "name": "Fax"}, None),
        ({"type": "webhook", "name": ""}, "name"),
        (
            {"type": "webhook", "name": "Deep", "config": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}},
            "config",
        ),
        ({"type": "webhook", "name": "Big", "config": {"template": "x" * 40_000}}, "config"),
        ({"type": "webhook", "name": "List", "config": ["not", "an", "object"]}, "config"),
    ],
)
def test_create_integration_rejects_bad_input(
    world: Any, api_as: Any, body: dict[str, Any], field: str | None
) -> None:
    response = api_as(world.owner).post("/api/v1/integrations", {"client": world.a.client.slug, **body})
    assert response.status_code == 400, response.content
    if field:
        assert field in response.content.decode()
    assert Integration.objects.count() == 2


def test_create_integration_pointing_at_other_tenants_objects_is_400(world: Any, api_as: Any) -> None:
    api = api_as(world.b.technician)
    foreign_client = {"client": world.a.client.slug, "type": "webhook", "name": "Sneaky"}
    assert api.post("/api/v1/integrations", foreign_client).status_code == 400
    foreign_service = {"client": world.b.client.slug, "type": "webhook", "name": "Sneaky",
                       "service_id": world.a.service.pk}  # fmt: skip
    response = api.post("/api/v1/integrations", foreign_service)
    assert response.status_code == 400
    assert response.json()["field"] == "service"
    # An owner sees both clients, but a service must belong to the integration's client.
    response = api_as(world.owner).post("/api/v1/integrations", foreign_service)
    assert response.status_code == 400
    assert not Integration.objects.filter(name="Sneaky").exists()


def test_create_integration_needs_write_scope_and_staff(world: Any, api_as: Any) -> None:
    body = {"client": world.a.client.slug, "type": "webhook", "name": "Nope"}
    assert api_as(world.a.technician, scopes=["read"]).post("/api/v1/integrations", body).status_code == 403
    assert api_as(world.a.client_admin).post("/api/v1/integrations", body).status_code == 403
    assert not Integration.objects.filter(name="Nope").exists()


def test_rotate_key_keeps_the_old_one_working_for_a_while(world: Any, api_as: Any) -> None:
    old = world.a.integration.key
    path = f"/api/v1/integrations/{world.a.integration.pk}/rotate-key"
    assert api_as(world.a.technician, scopes=["read"]).post(path, {}).status_code == 403
    response = api_as(world.a.technician).http.post(path, headers=api_as(world.a.technician).headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["key"] != old and body["previous_key"] == old
    assert body["previous_key_expires_at"] is not None
    assert integration_for_key(old) == world.a.integration
    clock.advance(dt.timedelta(days=2))
    later = api_as(world.a.technician).get(f"/api/v1/integrations/{world.a.integration.pk}").json()
    assert later["previous_key"] is None
    assert AuditEntry.objects.filter(action="integration.rotate_key", via="api").exists()


def test_update_integration(world: Any, api_as: Any) -> None:
    firewall = ServiceFactory(client=world.a.client, name="Alpha Dental firewall")
    api = api_as(world.a.technician)
    path = f"/api/v1/integrations/{world.a.integration.pk}"
    changes = {
        "name": "Zabbix", "is_enabled": False, "default_service_id": firewall.pk, "group_window_minutes": 0,
        "rate_limit_per_second": 50, "config": {"title": "{{ payload.summary }}"},
    }  # fmt: skip
    response = api.patch(path, changes)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["is_enabled"], body["group_window_minutes"]) == ("Zabbix", False, 0)
    assert body["default_service"]["id"] == firewall.pk
    assert body["config"] == {"title": "{{ payload.summary }}"}
    entry = AuditEntry.objects.get(action="integration.update", via="api")
    assert (entry.before["name"], entry.after["name"]) == (world.a.integration.name, "Zabbix")
    assert "key" not in entry.after
    # PATCH changes only what is sent.
    assert api.patch(path, {"rate_limit_per_second": 5}).json()["name"] == "Zabbix"


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"name": " "}, 400),
        ({"group_window_minutes": -1}, 400),
        ({"rate_limit_per_second": "fast"}, 400),
        ({"config": "plain text"}, 400),
        ({"config": {"x": "y" * 40_000}}, 400),
    ],
)
def test_update_integration_rejects_bad_input(
    world: Any, api_as: Any, changes: dict[str, Any], status: int
) -> None:
    response = api_as(world.a.technician).patch(f"/api/v1/integrations/{world.a.integration.pk}", changes)
    assert response.status_code == status, response.content
    assert not AuditEntry.objects.filter(action="integration.update").exists()


def test_update_integration_with_other_tenants_service_or_taken_name_is_400(world: Any, api_as: Any) -> None:
    path = f"/api/v1/integrations/{world.a.integration.pk}"
    response = api_as(world.a.technician).patch(path, {"default_service_id": world.b.service.pk})
    assert response.status_code == 400
    response = api_as(world.owner).patch(path, {"default_service_id": world.b.service.pk})
    assert response.status_code == 400
    assert response.json()["field"] == "default_service"
    IntegrationFactory(default_service=world.a.service, name="Taken")
    response = api_as(world.owner).patch(path, {"name": "Taken"})
    assert response.status_code == 400
    assert response.json()["field"] == "name"
    world.a.integration.refresh_from_db()
    assert world.a.integration.default_service == world.a.service


def test_update_integration_needs_write_scope(world: Any, api_as: Any) -> None:
    path = f"/api/v1/integrations/{world.a.integration.pk}"
    assert api_as(world.a.technician, scopes=["read"]).patch(path, {"is_enabled": False}).status_code == 403
    assert api_as(world.b.technician).patch(path, {"is_enabled": False}).status_code == 404
    world.a.integration.refresh_from_db()
    assert world.a.integration.is_enabled
