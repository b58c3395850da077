"""The incidents API: lists and filters, detail with timeline, opening by hand, and actions."""

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
from watchkeeper.alerts.models import Alert
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident, TimelineEntry
from watchkeeper.incidents.services import incident_assign, incident_open, incident_resolve
from watchkeeper.tenancy.models import Service


def _incident(service: Service, title: str = "Mail flow stopped", **fields: Any) -> Incident:
    values = {"impact": "medium", "urgency": "medium", **fields}
    return incident_open(client=service.client, service=service, title=title, by="system", **values)


def _ids(api: Any, **params: Any) -> list[int]:
    response = api.get("/api/v1/incidents", **params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _act(api: Any, incident: Incident, action: str, body: dict[str, Any] | None = None) -> Any:
    """POST an action; without a body, send none at all (as `curl -X POST` does)."""
    url = f"/api/v1/incidents/{incident.pk}/{action}"
    if body is None:
        return api.http.post(url, "", content_type="application/json", headers=api.headers)
    return api.post(url, body)


# --- lists -------------------------------------------------------------------------------


def test_no_token_is_401(world: Any, client: Any) -> None:
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.post(f"/api/v1/incidents/{world.a.incident.pk}/acknowledge").status_code == 401


def test_list_items(world: Any, api_as: Any) -> None:
    incident_assign(incident=world.a.incident, by="system", owner=world.a.technician)
    body = api_as(world.a.technician).get("/api/v1/incidents").json()
    assert body["count"] == 1
    item = body["items"][0]
    incident = world.a.incident
    assert (item["id"], item["number"], item["reference"]) == (incident.pk, 1, "ALPHA-DENTAL-1")
    assert (item["title"], item["status"], item["priority"]) == (
        "Practice server unreachable",
        "triggered",
        "P2",
    )
    assert (item["impact"], item["urgency"], item["category"]) == ("high", "medium", "")
    assert item["client"] == world.a.client.slug
    assert item["service"] == {"id": world.a.service.pk, "name": world.a.service.name}
    tech = world.a.technician
    assert item["owner"] == {"id": tech.pk, "full_name": tech.full_name, "email": tech.email}
    assert item["alert_count"] == 1
    assert item["opened_at"] and item["acknowledged_at"] is None and item["resolved_at"] is None


def test_list_is_newest_first_and_paginated(world: Any, api_as: Any) -> None:
    titles = []
    for n in range(3):
        clock.advance(dt.timedelta(minutes=5))
        titles.append(_incident(world.a.service, f"Incident {n}").title)
    api = api_as(world.a.technician)
    body = api.get("/api/v1/incidents", limit=2).json()
    assert body["count"] == 4
    assert [item["title"] for item in body["items"]] == ["Incident 2", "Incident 1"]
    body = api.get("/api/v1/incidents", limit=2, offset=2).json()
    assert [item["title"] for item in body["items"]] == ["Incident 0", "Practice server unreachable"]


def test_list_filters(world: Any, api_as: Any) -> None:
    firewall = ServiceFactory(client=world.a.client, name="Alpha Dental firewall")
    p4 = _incident(firewall, "Firewall CPU high", impact="low", urgency="medium", category="network")
    resolved = incident_resolve(incident=_incident(world.a.service, "Backups late"), by="system")
    mine = _incident(world.a.service, "Printer offline", impact="low", urgency="low")
    incident_assign(incident=mine, by="system", owner=world.a.technician)
    api = api_as(world.a.technician)
    first = world.a.incident.pk

    assert set(_ids(api, status="resolved")) == {resolved.pk}
    assert set(_ids(api, status="open")) == {first, p4.pk, mine.pk}
    assert set(_ids(api, status=["triggered", "resolved"])) == {first, p4.pk, mine.pk, resolved.pk}
    assert set(_ids(api, status="resolved,closed")) == {resolved.pk}
    assert set(_ids(api, priority="P4")) == {p4.pk}
    assert set(_ids(api, priority="P2,P5")) == {first, mine.pk}
    assert _ids(api, service=firewall.pk) == [p4.pk]
    assert _ids(api, owner="me") == [mine.pk]
    assert _ids(api, owner=str(world.a.technician.pk)) == [mine.pk]
    assert set(_ids(api, owner="none")) == {first, p4.pk, resolved.pk}
    assert _ids(api, q="firewall") == [p4.pk]
    assert _ids(api, q=f"alpha-dental-{resolved.number}") == [resolved.pk]
    assert _ids(api, q=p4.reference) == [p4.pk]
    assert set(_ids(api_as(world.owner), client=world.b.client.slug)) == {world.b.incident.pk}


@pytest.mark.parametrize(
    ("params", "field"), [({"status": "burning"}, "status"), ({"owner": "boss"}, "owner")]
)
def test_bad_filters_are_400(world: Any, api_as: Any, params: dict[str, str], field: str) -> None:
    response = api_as(world.owner).get("/api/v1/incidents", **params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_scoping(world: Any, api_as: Any) -> None:
    assert _ids(api_as(world.b.technician)) == [world.b.incident.pk]
    assert set(_ids(api_as(world.owner))) == {world.a.incident.pk, world.b.incident.pk}
    assert _ids(api_as(world.owner, client=world.a.client)) == [world.a.incident.pk]
    assert api_as(world.b.technician).get("/api/v1/incidents", client=world.a.client.slug).status_code == 404
    assert api_as(world.b.technician).get(f"/api/v1/incidents/{world.a.incident.pk}").status_code == 404


def test_portal_users_get_nothing(world: Any, api_as: Any) -> None:
    """In this release incidents are for MSP staff and tokens; the portal comes later."""
    for user in (world.a.client_admin, world.a.client_user):
        api = api_as(user)
        assert api.get("/api/v1/incidents").json() == {"items": [], "count": 0}
        assert api.get(f"/api/v1/incidents/{world.a.incident.pk}").status_code == 404
        assert _act(api, world.a.incident, "acknowledge").status_code == 404
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == "triggered"


def test_list_query_count_does_not_grow_with_rows(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    api.get("/api/v1/incidents")  # the token's first use records itself once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/incidents", limit=100).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(8):
        service = ServiceFactory(client=world.b.client, name=f"Service {n}")
        incident = _incident(service, f"Incident {n}")
        incident_assign(
            incident=incident, by="system", owner=UserFactory(role=Role.TECHNICIAN, all_clients=True)
        )
        feed = IntegrationFactory(default_service=service, name=f"Feed {n}")
        Alert.objects.create(
            client=service.client,
            integration=feed,
            service=service,
            incident=incident,
            dedup_key="k",
            summary="x",
        )
    assert queries() == few


# --- detail ------------------------------------------------------------------------------


def test_detail_has_timeline_in_order_and_alerts(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    clock.advance(dt.timedelta(minutes=1))
    _act(api, world.a.incident, "notes", {"text": "Looking at it"})
    clock.advance(dt.timedelta(minutes=1))
    _act(api, world.a.incident, "acknowledge")
    body = api.get(f"/api/v1/incidents/{world.a.incident.pk}").json()
    assert [entry["kind"] for entry in body["timeline"]] == ["opened", "note", "status", "owner"]
    assert body["timeline"][1]["text"] == "Looking at it"
    assert body["timeline"][1]["actor"] == world.a.technician.email
    assert body["timeline"][1]["actor_id"] == world.a.technician.pk
    assert body["timeline"][0]["actor"] == world.a.integration.name
    assert [alert["id"] for alert in body["alerts"]] == [world.a.alert.pk]
    assert body["alerts"][0]["integration"]["name"] == world.a.integration.name
    assert body["description"] == ""


def test_detail_query_count_does_not_grow_with_timeline(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    path = f"/api/v1/incidents/{world.a.incident.pk}"
    api.get(path)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(5):
        _act(api, world.a.incident, "notes", {"text": f"note {n}"})
    assert queries() == few


# --- opening by hand ---------------------------------------------------------------------


def test_open_by_hand(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    response = api.post(
        "/api/v1/incidents",
        {"client": world.a.client.slug, "service_id": world.a.service.pk,
         "title": "  Phones down at reception ", "description": "Reported by the office manager",
         "impact": "medium", "urgency": "high", "category": "network"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["title"], body["priority"]) == (
        "ALPHA-DENTAL-2",
        "Phones down at reception",
        "P2",
    )
    assert (body["status"], body["category"], body["alert_count"]) == ("triggered", "network", 0)
    assert body["description"] == "Reported by the office manager"
    opened = body["timeline"][0]
    assert (opened["kind"], opened["actor_id"]) == ("opened", world.a.technician.pk)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"impact": "apocalyptic"}, "impact"),
        ({"urgency": "whenever"}, "urgency"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"service_id": None}, "service_id"),
    ],
)
def test_open_rejects_bad_input(world: Any, api_as: Any, changes: dict[str, Any], field: str) -> None:
    body = {"client": world.a.client.slug, "service_id": world.a.service.pk, "title": "T", "impact": "high",
            "urgency": "high", **changes}  # fmt: skip
    response = api_as(world.owner).post("/api/v1/incidents", body)
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert Incident.objects.count() == 2


def test_open_pointing_at_other_tenants_objects_is_400(world: Any, api_as: Any) -> None:
    base = {"title": "Planted", "impact": "high", "urgency": "high"}
    api = api_as(world.b.technician)
    response = api.post(
        "/api/v1/incidents", {**base, "client": world.a.client.slug, "service_id": world.a.service.pk}
    )
    assert response.status_code == 400
    response = api.post(
        "/api/v1/incidents", {**base, "client": world.b.client.slug, "service_id": world.a.service.pk}
    )
    assert (response.status_code, response.json()["field"]) == (400, "service")
    # The owner sees both, but the service must be the named client's.
    response = api_as(world.owner).post(
        "/api/v1/incidents", {**base, "client": world.b.client.slug, "service_id": world.a.service.pk}
    )
    assert response.status_code == 400
    assert not Incident.objects.filter(title="Planted").exists()


def test_open_needs_write_scope_and_staff(world: Any, api_as: Any) -> None:
    body = {"client": world.a.client.slug, "service_id": world.a.service.pk, "title": "No", "impact": "high",
            "urgency": "high"}  # fmt: skip
    assert api_as(world.a.technician, scopes=["read"]).post("/api/v1/incidents", body).status_code == 403
    assert api_as(world.a.client_admin).post("/api/v1/incidents", body).status_code == 403
    assert not Incident.objects.filter(title="No").exists()


# --- actions -----------------------------------------------------------------------------


def _last_entry(incident: Incident) -> TimelineEntry:
    return TimelineEntry.objects.filter(incident=incident).order_by("-at", "-id").first()  # type: ignore[return-value]


def test_acknowledge_resolve_reopen_close_write_the_timeline(world: Any, api_as: Any) -> None:
    api, incident, tech = api_as(world.a.technician), world.a.incident, world.a.technician
    body = _act(api, incident, "acknowledge").json()
    assert (body["status"], body["acknowledged_at"] is not None) == ("acknowledged", True)
    status = TimelineEntry.objects.filter(incident=incident, kind="status").order_by("-id").first()
    assert status is not None and (status.text, status.actor) == ("Acknowledged", tech)
    assert (_last_entry(incident).kind, _last_entry(incident).data["owner"]) == ("owner", tech.pk)

    body = _act(api, incident, "resolve", {"note": "Rebooted the switch"}).json()
    assert body["status"] == "resolved"
    assert _last_entry(incident).text == "Resolved: Rebooted the switch"

    body = _act(api, incident, "reopen", {"reason": "Down again"}).json()
    assert (body["status"], body["reopened_count"]) == ("triggered", 1)
    assert _last_entry(incident).text == "Reopened: Down again"

    assert _act(api, incident, "resolve").json()["status"] == "resolved"
    assert _last_entry(incident).text == "Resolved"
    body = _act(api, incident, "close").json()
    assert (body["status"], body["closed_at"] is not None) == ("closed", True)
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds == ["opened", "status", "owner", "status", "status", "status", "status"]
    assert all(entry["actor_id"] == tech.pk for entry in body["timeline"][1:])


def test_acknowledge_twice_writes_one_entry(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    _act(api, world.a.incident, "acknowledge")
    response = _act(api, world.a.incident, "acknowledge", {})
    assert response.status_code == 200
    assert world.a.incident.timeline.filter(kind="status").count() == 1


@pytest.mark.parametrize("action", ["close", "reopen"])
def test_close_or_reopen_an_open_incident_is_409(world: Any, api_as: Any, action: str) -> None:
    response = _act(api_as(world.a.technician), world.a.incident, action)
    assert response.status_code == 409
    assert world.a.incident.reference in response.json()["detail"]


def test_note(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    body = _act(api, world.a.incident, "notes", {"text": "  Called the ISP, ticket 4411  "}).json()
    assert body["timeline"][-1]["kind"] == "note"
    assert body["timeline"][-1]["text"] == "Called the ISP, ticket 4411"
    assert _act(api, world.a.incident, "notes", {"text": "   "}).status_code == 400
    assert _act(api, world.a.incident, "notes", {"text": ""}).status_code == 400
    assert _act(api, world.a.incident, "notes", {}).status_code == 400
    assert world.a.incident.timeline.filter(kind="note").count() == 1


def test_priority_change(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    body = _act(api, world.a.incident, "priority", {"impact": "high", "urgency": "high"}).json()
    assert (body["priority"], body["impact"], body["urgency"]) == ("P1", "high", "high")
    entry = _last_entry(world.a.incident)
    assert (entry.kind, entry.data["from"], entry.data["to"]) == ("priority", "P2", "P1")
    response = _act(api, world.a.incident, "priority", {"impact": "cosmic", "urgency": "high"})
    assert (response.status_code, response.json()["field"]) == (400, "impact")
    world.a.incident.refresh_from_db()
    assert world.a.incident.priority == "P1"


def test_assign(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    body = _act(api, world.a.incident, "assign", {"owner": world.a.technician.pk}).json()
    assert body["owner"]["id"] == world.a.technician.pk
    assert _last_entry(world.a.incident).kind == "owner"
    assert _ids(api, owner="me") == [world.a.incident.pk]
    body = _act(api, world.a.incident, "assign", {"owner": None}).json()
    assert body["owner"] is None
    assert _last_entry(world.a.incident).text == "Owner removed"


@pytest.mark.parametrize("who", ["client_user", "other_technician", "nobody"])
def test_assign_to_someone_who_cannot_work_on_it_is_400(world: Any, api_as: Any, who: str) -> None:
    owner = {
        "client_user": world.a.client_user.pk,  # visible, but a portal user
        "other_technician": world.b.technician.pk,  # B's technician cannot work on A's incidents
        "nobody": 999_999,
    }[who]
    response = api_as(world.owner).post(f"/api/v1/incidents/{world.a.incident.pk}/assign", {"owner": owner})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "owner"
    world.a.incident.refresh_from_db()
    assert world.a.incident.owner is None


def test_actions_need_write_scope(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician, scopes=["read"])
    actions: list[tuple[str, dict[str, Any] | None]] = [
        ("acknowledge", None), ("resolve", None), ("notes", {"text": "x"}),
        ("priority", {"impact": "low", "urgency": "low"}), ("assign", {"owner": None}),
    ]  # fmt: skip
    for action, body in actions:
        assert _act(api, world.a.incident, action, body).status_code == 403, action
    assert world.a.incident.timeline.count() == 1


def test_actions_on_other_tenants_incident_are_404(world: Any, api_as: Any) -> None:
    api = api_as(world.b.technician)
    for action, body in [("acknowledge", None), ("resolve", {"note": "x"}), ("notes", {"text": "x"})]:
        assert _act(api, world.a.incident, action, body).status_code == 404, action
    assert world.a.incident.timeline.count() == 1


def test_hand_off_category_responders_merge_and_bulk(world: Any, api_as: Any) -> None:
    api, tech, incident = api_as(world.a.technician), world.a.technician, world.a.incident
    response = _act(api, incident, "hand-off", {"owner": tech.pk, "note": "Over to you"})
    assert response.status_code == 200 and response.json()["owner"]["id"] == tech.pk
    assert _act(api, incident, "hand-off", {"owner": world.b.technician.pk, "note": "x"}).status_code == 400
    assert _act(api, incident, "category", {"category": "network"}).json()["category"] == "network"
    assert _act(api, incident, "category", {"category": "weather"}).status_code == 400
    body = _act(api, incident, "responders", {"user": tech.pk, "role": "commander"}).json()
    assert body["responders"][0]["role"] == "commander"
    assert _act(api, incident, "responders", {"user": tech.pk, "role": "hero"}).status_code == 400
    removed = api.http.delete(f"/api/v1/incidents/{incident.pk}/responders/{tech.pk}", headers=api.headers)
    assert removed.status_code == 200 and removed.json()["responders"] == []
    duplicate = _incident(world.a.service, "Duplicate")
    merged = _act(api, duplicate, "merge", {"into": incident.pk})
    assert merged.status_code == 200 and merged.json()["id"] == incident.pk
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id == incident.pk
    assert _act(api, incident, "merge", {"into": world.b.incident.pk}).status_code == 400
    bulk = api.post(
        "/api/v1/incidents/bulk", {"incidents": [incident.pk, world.b.incident.pk], "action": "acknowledge"}
    )
    assert bulk.status_code == 200
    assert bulk.json()["done"] == [incident.reference] and len(bulk.json()["refused"]) == 1
    assert (
        api.post("/api/v1/incidents/bulk", {"incidents": [incident.pk], "action": "nap"}).status_code == 400
    )


def test_client_visible_note_by_api(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    body = _act(api, world.a.incident, "notes", {"text": "We are on it", "client_visible": True}).json()
    assert body["timeline"][-1]["client_visible"] is True


def test_wait_and_resume_actions(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    url = f"/api/v1/incidents/{world.a.incident.pk}"
    waiting = api.post(f"{url}/wait", {"status": "waiting_vendor", "note": "RMA opened"})
    assert waiting.status_code == 200 and waiting.json()["status"] == "waiting_vendor"
    assert api.post(f"{url}/wait", {"status": "closed"}).status_code == 400
    assert api.get("/api/v1/incidents", status="open").json()["count"] >= 1
    assert api.post(f"{url}/resume", {}).json()["status"] == "acknowledged"
