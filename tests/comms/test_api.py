"""The comms API: policies, templates (preview, refusal with the line), contact roles, client
updates with their deliveries; validation answers 400, never 500; lists without N+1."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.comms.factories import contact_make, policy_make
from watchkeeper.comms.models import ClientUpdate, DeliveryState, UpdateDelivery
from watchkeeper.incidents.models import TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world: Any, api_as: Any) -> Any:
    return api_as(world.owner, scopes=["read", "write", "admin"])


def test_policy_create_read_change_delete(world: Any, admin: Any) -> None:
    body = {
        "client": world.a.client.slug,
        "rules": {"P1": {"roles": ["technical"], "events": ["opened", "update"], "cadence_minutes": 30}},
    }
    created = admin.post("/api/v1/communication-policies", body)
    assert created.status_code == 201, created.content
    policy = created.json()
    assert policy["client"] == world.a.client.slug and policy["rules"]["P1"]["cadence_minutes"] == 30
    changed = admin.patch(f"/api/v1/communication-policies/{policy['id']}", {"from_name": "Alpha's desk"})
    assert changed.json()["from_name"] == "Alpha's desk"
    assert admin.get("/api/v1/communication-policies").json()["count"] == 1
    gone = admin.http.delete(f"/api/v1/communication-policies/{policy['id']}", headers=admin.headers)
    assert gone.status_code == 204


@pytest.mark.parametrize(
    "rules",
    [{"P7": {"roles": []}}, {"P1": {"roles": ["nobody"]}}, {"P1": {"cadence_minutes": 100000}}, {"P1": "x"}],
)
def test_bad_rules_answer_400(world: Any, admin: Any, rules: Any) -> None:
    answer = admin.post("/api/v1/communication-policies", {"rules": rules})
    assert answer.status_code == 400, answer.content
    assert answer.json()["detail"]


def test_template_refused_with_the_line_and_previewed_with_a_real_incident(world: Any, admin: Any) -> None:
    refused = admin.post(
        "/api/v1/message-templates",
        {"kind": "update", "subject": "x", "body": "one\n{{ incident.title | nosuchfilter }}"},
    )
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("Line 2:") and refused.json()["field"] == "body"
    preview = admin.post(
        "/api/v1/message-templates/preview",
        {"subject": "{{ incident.reference }}", "body": "{{ client.name }}", "incident": world.a.incident.pk},
    )
    assert preview.json() == {"subject": world.a.incident.reference, "body": world.a.client.name}
    saved = admin.post("/api/v1/message-templates", {"kind": "update", "subject": "S", "body": "B"})
    assert saved.status_code == 201
    assert (
        admin.post("/api/v1/message-templates", {"kind": "update", "subject": "S", "body": "B"}).status_code
        == 409
    )
    assert (
        admin.post("/api/v1/message-templates", {"kind": "memo", "subject": "S", "body": "B"}).status_code
        == 400
    )


def test_an_update_through_the_api_is_queued_per_recipient(world: Any, api_as: Any) -> None:
    policy_make(world.a.client, **{world.a.incident.priority: (["technical"], 60)})
    contact_make(world.a.client, "Tina", "tina@alpha.example", "technical")
    contact_make(world.a.client, "Theo", "theo@alpha.example", "technical")
    tech = api_as(world.a.technician)
    url = f"/api/v1/incidents/{world.a.incident.pk}/client-updates"
    assert [r["address"] for r in tech.get(f"{url}/recipients").json()] == [
        "theo@alpha.example",
        "tina@alpha.example",
    ]
    sent = tech.post(url, {"text": "We are on it.", "impact": "Nobody can print.", "next_update_by": None})
    assert sent.status_code == 201, sent.content
    assert {d["address"] for d in sent.json()["deliveries"]} == {"tina@alpha.example", "theo@alpha.example"}
    assert all(d["state"] == DeliveryState.PENDING for d in sent.json()["deliveries"])
    entry = TimelineEntry.objects.get(incident=world.a.incident, kind="note", client_visible=True)
    assert entry.data["client_update"] is True and entry.data["recipients"] == 2
    assert tech.post(url, {"text": "  "}).status_code == 400
    past = tech.post(url, {"text": "x", "eta": "2001-01-01T00:00:00Z"})
    assert past.status_code == 400 and past.json()["field"] == "eta"
    assert tech.post(url, {"text": "x", "eta": "soon"}).status_code == 400
    listed = tech.get("/api/v1/client-updates", incident=world.a.incident.pk).json()
    assert listed["count"] == 1 and len(listed["items"][0]["deliveries"]) == 2


def test_the_updates_list_does_not_grow_queries_with_rows(world: Any, api_as: Any) -> None:
    tech = api_as(world.a.technician)
    url = f"/api/v1/client-updates?incident={world.a.incident.pk}"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert tech.get(url).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            update = ClientUpdate.objects.create(
                incident=world.a.incident, kind="update", cause=f"c{i}-{n}", subject="s", body="b"
            )
            UpdateDelivery.objects.create(
                update=update, client=world.a.client, address=f"x{i}@a.example", message_id=f"<{i}-{n}@x>"
            )

    add(1)
    queries()  # the token's first use is recorded once
    one = queries()
    add(10)
    assert queries() == one


def test_contact_roles_api(world: Any, api_as: Any) -> None:
    tech = api_as(world.a.technician)
    url = f"/api/v1/contacts/{world.a.contact.pk}/roles"
    answer = tech.http.put(
        url, {"roles": ["technical", "management"]}, content_type="application/json", headers=tech.headers
    )
    assert answer.status_code == 200 and answer.json()["roles"] == ["management", "technical"]
    bad = tech.http.put(url, {"roles": ["ceo"]}, content_type="application/json", headers=tech.headers)
    assert bad.status_code == 400
    assert tech.get(url).json()["roles"] == ["management", "technical"]
