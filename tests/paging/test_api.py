"""The paging API: policies, service assignment, contact methods and rules, the log."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import Role
from watchkeeper.paging.models import ContactMethod, EscalationPolicy, NotificationRule

pytestmark = pytest.mark.django_db


def _policy_body(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Alpha on call", "client": world.a.client.slug, "is_default": True, "repeat": 2,
        "levels": [
            {"delay_minutes": 10, "targets": [{"kind": "user", "id": world.a.technician.pk}]},
            {"delay_minutes": 15, "targets": [{"kind": "user", "id": world.owner.pk}]},
        ],
        **extra,
    }  # fmt: skip


def test_a_manager_creates_reads_replaces_and_deletes_a_policy(world: Any, api_as: Any) -> None:
    manager = UserFactory(role=Role.MANAGER, all_clients=True)
    api = api_as(manager)
    created = api.post("/api/v1/escalation-policies", _policy_body(world))
    assert created.status_code == 201, created.content
    policy = created.json()
    assert [len(level["targets"]) for level in policy["levels"]] == [1, 1]
    assert (policy["client"], policy["repeat"]) == (world.a.client.slug, 2)
    path = f"/api/v1/escalation-policies/{policy['id']}"
    body = _policy_body(world, levels=[{"delay_minutes": 5, "targets": [{"kind": "user", "id": manager.pk}]}])
    replaced = api.http.put(path, body, content_type="application/json", headers=api.headers)
    assert replaced.status_code == 200
    assert [level["delay_minutes"] for level in replaced.json()["levels"]] == [5]
    assert api.get(path).json()["levels"][0]["targets"][0]["user_id"] == manager.pk
    refused = api.http.delete(path, headers=api.headers)  # Alpha's default: its services need it
    assert refused.status_code == 400
    assert "Alpha Dental's default" in refused.json()["detail"]
    body["is_default"] = False
    assert api.http.put(path, body, content_type="application/json", headers=api.headers).status_code == 200
    assert api.http.delete(path, headers=api.headers).status_code == 204
    assert not EscalationPolicy.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"levels": []}, "levels"),
        ({"levels": [{"delay_minutes": 5, "targets": []}]}, "levels"),
        ({"levels": [{"delay_minutes": 5, "targets": [{"kind": "robot", "id": 1}]}]}, "targets"),
        ({"levels": [{"delay_minutes": 5, "targets": [{"kind": "user", "id": 999999}]}]}, "targets"),
        ({"client": "no-such-client"}, "client"),
    ],
)
def test_a_bad_policy_is_a_clear_400_and_writes_nothing(
    world: Any, api_as: Any, change: Any, field: str
) -> None:
    response = api_as(world.owner).post("/api/v1/escalation-policies", _policy_body(world, **change))
    assert response.status_code == 400, response.content
    assert response.json().get("field") == field or field in response.json()["detail"]
    assert not EscalationPolicy.objects.exists()


def test_a_second_default_for_one_client_is_refused(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    assert api.post("/api/v1/escalation-policies", _policy_body(world)).status_code == 201
    second = api.post("/api/v1/escalation-policies", _policy_body(world, name="Another"))
    assert second.status_code == 400
    assert "default" in second.json()["detail"]


def test_technicians_read_policies_but_cannot_write_them(world: Any, api_as: Any) -> None:
    api_as(world.owner).post("/api/v1/escalation-policies", _policy_body(world))
    api = api_as(world.a.technician)
    assert api.get("/api/v1/escalation-policies").json()["count"] == 1
    assert api.post("/api/v1/escalation-policies", _policy_body(world, name="Mine")).status_code == 403


def test_service_assignment_overrides_the_client_default(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    default = api.post("/api/v1/escalation-policies", _policy_body(world)).json()
    special = api.post(
        "/api/v1/escalation-policies", _policy_body(world, name="Database team", is_default=False)
    ).json()
    path = f"/api/v1/services/{world.a.service.pk}/escalation-policy"
    assert api.get(path).json() == {
        "service_id": world.a.service.pk, "service_name": world.a.service.name,
        "policy_id": default["id"], "source": "client default",
    }  # fmt: skip
    put = api.http.put(path, {"policy": special["id"]}, content_type="application/json", headers=api.headers)
    assert put.json()["source"] == "service"
    assert put.json()["policy_id"] == special["id"]


def test_contact_methods_are_encrypted_at_rest_and_only_their_owner_sees_them(
    world: Any, api_as: Any
) -> None:
    tech = world.a.technician
    api = api_as(tech)
    url = "tgram://123456789:ABCdefGHIjklMNOpqr/987654321"
    created = api.post(
        f"/api/v1/users/{tech.pk}/contact-methods", {"kind": "telegram", "label": "Phone", "address": url}
    )
    assert created.status_code == 201, created.content
    assert "ABCdef" not in created.content.decode()  # the secret is never shown again
    row = ContactMethod.objects.get()
    assert "ABCdef" not in row.address_encrypted
    assert row.address == url
    other = api_as(world.b.technician).get(f"/api/v1/users/{tech.pk}/contact-methods")
    assert other.status_code == 404
    assert api_as(world.owner).get(f"/api/v1/users/{tech.pk}/contact-methods").json()["count"] == 1


def test_a_bad_address_is_refused(world: Any, api_as: Any) -> None:
    tech = world.a.technician
    api = api_as(tech)
    for body in ({"kind": "email", "address": "not-an-address"}, {"kind": "sms", "address": "nonsense"}):
        response = api.post(f"/api/v1/users/{tech.pk}/contact-methods", body)
        assert response.status_code == 400
        assert response.json()["field"] == "address"
    assert not ContactMethod.objects.exists()


def test_rules_point_only_at_ones_own_methods(world: Any, api_as: Any) -> None:
    tech, other = world.a.technician, world.b.technician
    mine = api_as(tech).post(
        f"/api/v1/users/{tech.pk}/contact-methods", {"kind": "email", "address": tech.email}
    )
    theirs = api_as(other).post(
        f"/api/v1/users/{other.pk}/contact-methods", {"kind": "email", "address": other.email}
    )
    api = api_as(tech)
    rules = f"/api/v1/users/{tech.pk}/notification-rules"
    assert api.post(rules, {"contact_method": theirs.json()["id"]}).status_code == 400
    ok = api.post(rules, {"contact_method": mine.json()["id"], "delay_minutes": 5, "urgency": "low"})
    assert ok.status_code == 201
    assert ok.json()["urgency"] == "low"
    assert NotificationRule.objects.count() == 1


def test_lists_take_a_fixed_number_of_queries(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    for n in range(3):
        api.post("/api/v1/escalation-policies", _policy_body(world, name=f"P{n}", is_default=False))
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/escalation-policies")
    for n in range(3, 9):
        api.post("/api/v1/escalation-policies", _policy_body(world, name=f"P{n}", is_default=False))
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/v1/escalation-policies").json()["count"] == 9
    assert len(many) == len(few)
