"""The event rules and maintenance windows API: ordered rules per client, a dry run, windows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from watchkeeper.alerts.models import EventRule, MaintenanceWindow
from watchkeeper.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _rule(api: Any, slug: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {"client": slug, "name": name, "actions": {"severity": "warning"}, **extra}
    response = api.post("/api/v1/event-rules", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_rules_are_created_in_order_reordered_and_listed_in_a_fixed_number_of_queries(
    world: Any, api_as: Any
) -> None:
    api = api_as(world.a.technician)
    slug = world.a.client.slug
    first = _rule(
        api, slug, "Info is quiet", conditions=[{"field": "severity", "op": "equals", "value": "info"}]
    )
    second = _rule(api, slug, "Tag prod", actions={"tags": ["prod"]})
    third = _rule(api, slug, "Route shop", actions={"service": world.a.service.name})
    assert [first["position"], second["position"], third["position"]] == [0, 1, 2]
    assert third["actions"]["service_id"] == world.a.service.pk

    order = [third["id"], first["id"], second["id"]]
    listed = api.post("/api/v1/event-rules/order", {"client": slug, "rule_ids": order})
    assert [rule["id"] for rule in listed.json()] == order
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/event-rules", client=slug).json()
    assert [rule["id"] for rule in body["items"]] == order
    for n in range(5):
        _rule(api, slug, f"More {n}")
    with CaptureQueriesContext(connection) as more:
        assert api.get("/api/v1/event-rules", client=slug).json()["count"] == 8
    assert len(more) == len(queries)
    assert AuditEntry.objects.filter(action="event_rule.reorder").count() == 1


def test_bad_rules_are_400_and_name_the_problem(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    slug = world.a.client.slug
    condition = {"field": "summary", "op": "regex", "value": "("}
    bad_regex = {"client": slug, "name": "x", "conditions": [condition], "actions": {"suppress": True}}
    response = api.post("/api/v1/event-rules", bad_regex)
    assert response.status_code == 400
    assert "regex" in response.content.decode()
    other = api.post("/api/v1/event-rules", {"client": slug, "name": "x", "actions": {"service": "Nowhere"}})
    assert other.status_code == 400 and "Unknown service" in other.content.decode()
    assert not EventRule.objects.exists()


def test_patch_and_delete_a_rule(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    rule = _rule(api, world.a.client.slug, "Quiet")
    changed = api.patch(
        f"/api/v1/event-rules/{rule['id']}", {"is_enabled": False, "actions": {"suppress": True}}
    )
    assert changed.status_code == 200
    assert (changed.json()["is_enabled"], changed.json()["actions"]) == (False, {"suppress": True})
    response = api.http.delete(f"/api/v1/event-rules/{rule['id']}", headers=api.headers)
    assert response.status_code == 204
    assert not EventRule.objects.exists()


def test_try_shows_what_the_rules_and_windows_would_do_and_stores_nothing(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    slug = world.a.client.slug
    _rule(api, slug, "Quiet info", conditions=[{"field": "severity", "op": "equals", "value": "info"}],
          actions={"suppress": True, "tags": ["noise"]})  # fmt: skip
    _rule(api, slug, "Drop tests", conditions=[{"field": "labels.env", "op": "equals", "value": "test"}],
          actions={"drop": True})  # fmt: skip
    quiet = api.post(
        "/api/v1/event-rules/try", {"client": slug, "event": {"summary": "x", "severity": "info"}}
    )
    assert quiet.status_code == 200
    assert quiet.json() | {"matched": quiet.json()["matched"]} == {
        "matched": ["Quiet info"], "drop": False, "suppressed": True, "reason": "rule: Quiet info",
        "service": None, "severity": "info", "impact": "", "urgency": "", "category": "", "tags": ["noise"],
    }  # fmt: skip
    dropped = api.post(
        "/api/v1/event-rules/try", {"client": slug, "event": {"labels": {"env": "test"}}}
    ).json()
    assert (dropped["drop"], dropped["matched"]) == (True, ["Drop tests"])
    plain = api.post("/api/v1/event-rules/try", {"client": slug, "event": {"summary": "Disk full"}}).json()
    assert (plain["matched"], plain["suppressed"], plain["severity"]) == ([], False, "error")
    bad = api.post("/api/v1/event-rules/try", {"client": slug, "event": {"severity": "loud"}})
    assert bad.status_code == 400 and "severity" in bad.content.decode()
    assert EventRule.objects.get(name="Drop tests").dropped_count == 0


def test_maintenance_windows_create_list_change_delete(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    body = {"client": world.a.client.slug, "name": "Patch Sunday", "starts_at": "2027-03-07T02:00+01:00",
            "ends_at": "2027-03-07T04:00+01:00", "recurrence": "FREQ=WEEKLY;BYDAY=SU",
            "service_id": world.a.service.pk}  # fmt: skip
    created = api.post("/api/v1/maintenance-windows", body)
    assert created.status_code == 201, created.content
    window = created.json()
    assert (window["service"]["id"], window["recurrence"]) == (world.a.service.pk, "FREQ=WEEKLY;BYDAY=SU")
    listed = api.get("/api/v1/maintenance-windows", client=world.a.client.slug).json()
    assert [item["id"] for item in listed["items"]] == [window["id"]]
    changed = api.patch(f"/api/v1/maintenance-windows/{window['id']}", {"service_id": None, "name": "All"})
    assert (changed.json()["service"], changed.json()["name"]) == (None, "All")
    wrong = api.patch(f"/api/v1/maintenance-windows/{window['id']}", {"ends_at": "2027-03-07T00:00Z"})
    assert wrong.status_code == 400 and "end after it starts" in wrong.content.decode()
    bad_rule = api.patch(f"/api/v1/maintenance-windows/{window['id']}", {"recurrence": "FREQ=SOMETIMES"})
    assert bad_rule.status_code == 400
    assert (
        api.http.delete(f"/api/v1/maintenance-windows/{window['id']}", headers=api.headers).status_code == 204
    )
    assert not MaintenanceWindow.objects.exists()


def test_portal_users_see_no_rules(world: Any, api_as: Any) -> None:
    _rule(api_as(world.a.technician), world.a.client.slug, "Quiet")
    assert api_as(world.a.client_admin).get("/api/v1/event-rules").json()["count"] == 0
