"""Opsgenie's alert reads and updates: get, list, count, notes, tags, details, priority, assign,
the operations answered with an error, and a GenieKey that reaches only its client's alerts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from watchkeeper.accounts.models import Role
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process

pytestmark = pytest.mark.django_db

HTTP = HttpClient()


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


@pytest.fixture
def integration() -> Integration:
    return IntegrationFactory(type="opsgenie")


def _call(method: str, path: str, key: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"GenieKey {key}"} if key else {}
    send = getattr(HTTP, method.lower())
    if body is None:
        return send(path, headers=headers)
    return send(path, body, content_type="application/json", headers=headers)


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["took"], float) and len(body["requestId"]) == 36
    return body


def _alert(integration: Integration, **fields: Any) -> Alert:
    body = {"message": "Backup failed on fs01", "alias": "fs01/backup", **fields}
    _ok(_call("POST", "/v2/alerts", integration.key, body), 202)
    inbox_process()
    return Alert.objects.get(integration=integration, dedup_key=body["alias"])


def _request(integration: Integration, request_id: str) -> dict[str, Any]:
    return dict(_ok(_call("GET", f"/v2/alerts/requests/{request_id}", integration.key))["data"])


def test_create_keeps_the_tags_as_tags_and_labels(integration: Integration) -> None:
    alert = _alert(integration, tags=["env:prod", "backup"])
    assert alert.tags == ["env:prod", "backup"]
    assert alert.labels == {"env": "prod", "backup": "true"}


def test_get_by_id_tiny_id_and_alias(integration: Integration) -> None:
    alert = _alert(integration, tags=["db"], priority="P2", entity="fs01", description="Exit 2")
    data = _ok(_call("GET", f"/v2/alerts/{alert.pk}", integration.key))["data"]
    assert (data["id"], data["tinyId"], data["alias"], data["status"]) == (str(alert.pk),) * 2 + (
        "fs01/backup",
        "open",
    )
    assert (data["priority"], data["tags"], data["entity"], data["description"]) == (
        "P2",
        ["db"],
        "fs01",
        "Exit 2",
    )
    assert data["integration"] == {"id": str(integration.pk), "name": integration.name, "type": "API"}
    assert data["createdAt"].endswith("Z") and data["acknowledged"] is False
    for path in (
        f"/v2/alerts/{alert.pk}?identifierType=tiny",
        "/v2/alerts/fs01%2Fbackup?identifierType=alias",
    ):
        assert _ok(_call("GET", path, integration.key))["data"]["id"] == str(alert.pk)
    assert _ok(_call("GET", "/v2/alerts/nope?identifierType=alias", integration.key), 404)["message"] == (
        "Alert does not exist"
    )
    assert _call("GET", f"/v2/alerts/{alert.pk}", None).status_code == 401


def test_list_and_count_with_a_query(integration: Integration, django_assert_max_num_queries: Any) -> None:
    _alert(integration, alias="a", tags=["db", "ünï"], priority="P1")
    _alert(integration, alias="b", message="Printer offline", tags=["office"], priority="P4")
    _alert(integration, alias="c", message="Printer jammed", source="rmm")
    _ok(_call("POST", "/v2/alerts/c/close?identifierType=alias", integration.key, {}), 202)
    inbox_process()

    def aliases(query: str, **params: str) -> list[str]:
        path = "/v2/alerts?" + "&".join(f"{k}={v}" for k, v in {"query": query, **params}.items())
        return [item["alias"] for item in _ok(_call("GET", path, integration.key))["data"]]

    with django_assert_max_num_queries(3):  # key, alerts with integration and owner; no N+1
        assert aliases("") == ["c", "b", "a"]
    assert aliases("status: open") == ["b", "a"]
    assert aliases("status:closed AND source: rmm") == ["c"]
    assert aliases("tag: db") == aliases("tag: ünï") == ["a"]
    assert aliases("priority: P4") == ["b"]
    assert aliases("printer", order="asc") == ["b", "c"]
    assert aliases('message: "printer offline"') == ["b"]
    page = _ok(_call("GET", "/v2/alerts?limit=2&sort=createdAt&order=asc", integration.key))
    assert [item["alias"] for item in page["data"]] == ["a", "b"] and "offset=2" in page["paging"]["next"]
    assert _ok(_call("GET", "/v2/alerts/count?query=status:open", integration.key))["data"] == {"count": 2}
    for query in ("status: open OR tag: db", "teams: ops", "status: snoozed"):
        assert _call("GET", f"/v2/alerts?query={query}", integration.key).status_code == 422
    assert _call("GET", "/v2/alerts?limit=many", integration.key).status_code == 422


def test_updates_go_through_the_inbox_and_report_their_status(integration: Integration) -> None:
    alert = _alert(integration, tags=["db"], details={"job": "nightly"}, priority="P3")
    path = f"/v2/alerts/{alert.pk}"
    requests = [
        _ok(_call("POST", f"{path}/notes", integration.key, {"note": "On it", "user": "rmm"}), 202),
        _ok(_call("POST", f"{path}/tags", integration.key, {"tags": ["disk", "db"], "note": "tagged"}), 202),
        _ok(_call("DELETE", f"{path}/tags?tags=db", integration.key), 202),
        _ok(_call("POST", f"{path}/details", integration.key, {"details": {"ticket": "T-1"}}), 202),
        _ok(_call("DELETE", f"{path}/details?keys=job,none", integration.key), 202),
        _ok(_call("PUT", f"{path}/priority", integration.key, {"priority": "P1"}), 202),
    ]
    assert all(request["result"] == "Request will be processed" for request in requests)
    assert InboxEvent.objects.filter(status="pending").count() == 6
    inbox_process()
    alert.refresh_from_db()
    assert alert.tags == ["disk"]
    assert alert.details["ticket"] == "T-1" and "job" not in alert.details
    assert (alert.severity, alert.details["priority"]) == ("critical", "P1")
    statuses = [_request(integration, request["requestId"]) for request in requests]
    assert [status["action"] for status in statuses] == [
        "AddNote", "AddTags", "RemoveTags", "AddDetails", "RemoveDetails", "UpdatePriority",
    ]  # fmt: skip
    assert all(status["success"] and status["alertId"] == str(alert.pk) for status in statuses)
    assert alert.incident is not None
    timeline = list(alert.incident.timeline.filter(kind__in=["note", "alert"]).values_list("kind", "text"))
    assert ("note", "On it") in timeline and ("note", "tagged") in timeline
    assert any("tags added: disk" in text for _, text in timeline)
    notes = _ok(_call("GET", f"{path}/notes?order=asc", integration.key))["data"]
    assert [(note["note"], note["owner"]) for note in notes] == [
        ("On it", f"rmm via {integration.name}"),
        ("tagged", integration.name),
    ]


def test_assign_makes_the_user_the_incident_owner(integration: Integration) -> None:
    alert = _alert(integration)
    tech = UserFactory(role=Role.TECHNICIAN, all_clients=True, email="tech@msp.example")
    outsider = UserFactory(role=Role.TECHNICIAN, all_clients=False, email="other@msp.example")
    sent = [
        _ok(
            _call("POST", f"/v2/alerts/{alert.pk}/assign", integration.key, {"owner": {"username": email}}),
            202,
        )
        for email in ("TECH@msp.example", "other@msp.example", "nobody@msp.example")
    ]
    inbox_process()
    inbox_process()  # a failed row holds its alert's later rows until the next run
    assert alert.incident is not None
    alert.incident.refresh_from_db()
    assert alert.incident.owner == tech
    refused = [_request(integration, request["requestId"]) for request in sent[1:]]
    assert [status["success"] for status in refused] == [False, False]
    # The same answer for a user who may not work on the client and for no such user.
    assert refused[0]["status"].replace(outsider.email, "X") == refused[1]["status"].replace(
        "nobody@msp.example", "X"
    )
    bad = _call("POST", f"/v2/alerts/{alert.pk}/assign", integration.key, {"owner": {"id": "123"}})
    assert "username" in _ok(bad, 422)["message"]


def test_a_note_on_an_alert_without_incident_fails_its_request(integration: Integration) -> None:
    alert = _alert(integration)
    Alert.objects.filter(pk=alert.pk).update(incident=None, suppressed=True)
    sent = _ok(_call("POST", f"/v2/alerts/{alert.pk}/notes", integration.key, {"note": "x"}), 202)
    tags = _ok(_call("POST", f"/v2/alerts/{alert.pk}/tags", integration.key, {"tags": ["kept"]}), 202)
    inbox_process()  # the note fails and is parked; the alert's later rows wait for the next run
    inbox_process()
    status = _request(integration, sent["requestId"])
    assert status["success"] is False and "no incident" in status["status"]
    assert _request(integration, tags["requestId"])["success"] is True
    assert Alert.objects.get(pk=alert.pk).tags == ["kept"]


def test_invalid_updates_are_422_and_store_nothing(integration: Integration) -> None:
    alert = _alert(integration)
    path = f"/v2/alerts/{alert.pk}"
    for method, suffix, body in (
        ("POST", "notes", {}),
        ("POST", "tags", {"tags": []}),
        ("POST", "tags", {"tags": "db"}),
        ("DELETE", "tags", None),
        ("POST", "details", {"details": {"a": {"b": 1}}}),
        ("PUT", "priority", {"priority": "P9"}),
    ):
        _ok(_call(method, f"{path}/{suffix}", integration.key, body), 422)
    _ok(_call("POST", f"{path}/notes?identifierType=number", integration.key, {"note": "x"}), 422)
    assert not InboxEvent.objects.filter(kind__startswith="opsgenie_").exists()


def test_other_operations_and_paths_answer_in_opsgenie_shape(integration: Integration) -> None:
    alert = _alert(integration)
    path = f"/v2/alerts/{alert.pk}"
    escalate = _call("POST", f"{path}/escalate", integration.key, {"escalation": {"name": "Ops"}})
    assert "escalation policy" in _ok(escalate, 422)["message"]
    for method, unsupported in (
        ("POST", f"{path}/snooze"),
        ("DELETE", path),
        ("GET", "/v2/alerts/saved-searches"),
    ):
        assert "not supported" in _ok(_call(method, unsupported, integration.key, {}), 422)["message"]
    assert _ok(_call("GET", "/v2/heartbeats/nightly/ping", integration.key), 404)["message"]
    wrong = _call("GET", f"{path}/acknowledge", integration.key)
    assert _ok(wrong, 405)["message"] == "Use POST on this path" and wrong["Allow"] == "POST"
    assert _ok(_call("PUT", "/v2/alerts", integration.key, {}), 405)
    for method, needs_key in (("POST", f"{path}/escalate"), ("POST", f"{path}/snooze"), ("DELETE", path)):
        assert _ok(_call(method, needs_key, None, {}), 401)


def test_a_key_reaches_only_its_own_clients_alerts(integration: Integration) -> None:
    theirs = IntegrationFactory(type="opsgenie")
    secret = _alert(theirs, alias="mailq")
    path = f"/v2/alerts/{secret.pk}"
    for method, suffix, body in (
        ("GET", "", None),
        ("GET", "/notes", None),
        ("POST", "/notes", {"note": "mine now"}),
        ("POST", "/tags", {"tags": ["x"]}),
        ("DELETE", "/details?keys=a", None),
        ("PUT", "/priority", {"priority": "P1"}),
        ("POST", "/assign", {"owner": {"username": "a@b.example"}}),
        ("POST", "/escalate", {"escalation": {"name": "Ops"}}),
        ("POST", "/snooze", {"endTime": "2030-01-01T00:00:00Z"}),
        ("DELETE", "", None),
    ):
        assert (
            _ok(_call(method, path + suffix, integration.key, body), 404)["message"] == "Alert does not exist"
        )
    assert _call("GET", "/v2/alerts/mailq?identifierType=alias", integration.key).status_code == 404
    assert _ok(_call("GET", "/v2/alerts", integration.key))["data"] == []
    assert _ok(_call("GET", "/v2/alerts/count", integration.key))["data"] == {"count": 0}
    assert not InboxEvent.objects.filter(integration=integration).exists()
    # By alias the write is stored; the engine finds no alert of that alias for this client.
    sent = _ok(
        _call("POST", "/v2/alerts/mailq/tags?identifierType=alias", integration.key, {"tags": ["x"]}), 202
    )
    inbox_process()
    status = _request(integration, sent["requestId"])
    assert (status["success"], status["status"]) == (False, "EventError: Alert does not exist")
    assert Alert.objects.get(pk=secret.pk).tags == []
