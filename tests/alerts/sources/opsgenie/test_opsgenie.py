"""Opsgenie Alert API subset through the endpoints, the inbox and the engine."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db

# One client for the module: each new one sets its middleware up again (about 0.25 s).
HTTP = HttpClient()


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


@pytest.fixture
def integration() -> Integration:
    return IntegrationFactory(type="opsgenie")


def _post(path: str, body: Any, key: str | None, **extra: Any) -> Any:
    headers = {"Authorization": f"GenieKey {key}"} if key else {}
    return HTTP.post(path, body, content_type="application/json", headers=headers, **extra)


def _create(key: str, **fields: Any) -> Any:
    return _post("/v2/alerts", {"message": "Backup failed on fs01", **fields}, key)


def _assert_opsgenie_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body["took"], float)
    assert len(body["requestId"]) == 36
    return body


def test_create_acknowledge_close_by_alias(integration: Integration) -> None:
    response = _create(
        integration.key,
        alias="fs01/backup",
        description="The nightly job exited 2",
        tags=["env:prod", "backup"],
        details={"job": "nightly", "exit": 2},
        entity="fs01",
        source="veeam",
        priority="P2",
        note="first seen by the RMM",
    )
    body = _assert_opsgenie_shape(response, 202)
    assert body["result"] == "Request will be processed"
    assert body["alias"] == "fs01/backup"
    inbox_process()
    alert = Alert.objects.get()
    assert (alert.dedup_key, alert.summary, alert.severity, alert.source) == (
        "fs01/backup",
        "Backup failed on fs01",
        "error",
        "veeam",
    )
    assert alert.component == "fs01"
    assert alert.labels == {"env": "prod", "backup": "true"}
    assert alert.details["job"] == "nightly"
    assert alert.details["exit"] == "2"  # details are a string map
    assert alert.details["description"] == "The nightly job exited 2"
    incident = Incident.objects.get()

    # An alias with "/" travels URL-encoded, as Opsgenie clients send it.
    ack = _post("/v2/alerts/fs01%2Fbackup/acknowledge?identifierType=alias", {"user": "rmm"}, integration.key)
    _assert_opsgenie_shape(ack, 202)
    inbox_process()
    incident.refresh_from_db()
    assert incident.status == "acknowledged"

    close = _post("/v2/alerts/fs01%2Fbackup/close?identifierType=alias", "", integration.key)
    _assert_opsgenie_shape(close, 202)
    inbox_process()
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert (alert.status, incident.status) == ("resolved", "resolved")


def test_without_alias_one_is_generated_and_works_as_id(integration: Integration) -> None:
    body = _assert_opsgenie_shape(_create(integration.key), 202)
    alias = body["alias"]
    assert len(alias) == 32
    inbox_process()
    assert Alert.objects.get().dedup_key == alias
    # identifierType defaults to id; the generated alias is a valid id.
    _post(f"/v2/alerts/{alias}/close", {}, integration.key)
    inbox_process()
    assert Alert.objects.get().status == "resolved"


def test_acknowledge_and_close_by_watchkeeper_alert_id(integration: Integration) -> None:
    _create(integration.key, alias="ups/battery", priority="P1")
    inbox_process()
    alert = Alert.objects.get()
    assert alert.severity == "critical"
    _post(f"/v2/alerts/{alert.pk}/acknowledge?identifierType=id", {}, integration.key)
    inbox_process()
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    _post(f"/v2/alerts/{alert.pk}/close?identifierType=id", {}, integration.key)
    inbox_process()
    alert.refresh_from_db()
    assert alert.status == "resolved"
    # Closing a resolved alert by id again does nothing, even when its alias is open again.
    _create(integration.key, alias="ups/battery")
    _post(f"/v2/alerts/{alert.pk}/close?identifierType=id", {}, integration.key)
    inbox_process()
    assert Alert.objects.filter(status="triggered").count() == 1


def test_close_for_unknown_alias_is_accepted_without_effect(integration: Integration) -> None:
    _assert_opsgenie_shape(_post("/v2/alerts/none/close?identifierType=alias", {}, integration.key), 202)
    assert inbox_process() == 1
    assert not Alert.objects.exists()


def test_priorities_map_to_severities(integration: Integration) -> None:
    for priority in ("P1", "P2", "P3", "P4", "P5"):
        _create(integration.key, alias=priority, priority=priority)
    _create(integration.key, alias="default")
    inbox_process()
    got = dict(Alert.objects.values_list("dedup_key", "severity"))
    assert got == {
        "P1": "critical",
        "P2": "error",
        "P3": "warning",
        "P4": "info",
        "P5": "info",
        "default": "warning",
    }


def test_authentication_is_401(integration: Integration) -> None:
    body = _assert_opsgenie_shape(_post("/v2/alerts", {"message": "x"}, None), 401)
    assert "GenieKey" in body["message"]
    _assert_opsgenie_shape(_post("/v2/alerts", {"message": "x"}, "wrongkey"), 401)
    other_type = IntegrationFactory(type="pagerduty")
    _assert_opsgenie_shape(_post("/v2/alerts", {"message": "x"}, other_type.key), 401)
    _assert_opsgenie_shape(_post("/v2/alerts/x/close", {}, None), 401)
    response = HTTP.post(
        "/v2/alerts", {"message": "x"}, content_type="application/json", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401
    assert not InboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "'message' is missing"),
        ({"message": "x" * 131}, "longer than 130"),
        ({"message": "x", "alias": "a" * 513}, "'alias'"),
        ({"message": "x", "priority": "P9"}, "'priority'"),
        ({"message": "x", "tags": "a,b"}, "'tags'"),
        ({"message": "x", "details": {"a": {"nested": 1}}}, "'details.a'"),
        ({"message": "x", "details": ["a"]}, "'details'"),
        ({"message": 5}, "'message' must be a string"),
        ([1], "JSON object"),
    ],
)
def test_invalid_fields_are_422_in_opsgenie_shape(integration: Integration, body: Any, needle: str) -> None:
    response = _post("/v2/alerts", body, integration.key)
    assert needle in _assert_opsgenie_shape(response, 422)["message"]
    assert not InboxEvent.objects.exists()


def test_bad_identifier_type_not_json_and_too_big(integration: Integration) -> None:
    response = _post("/v2/alerts/x/close?identifierType=number", {}, integration.key)
    assert "identifierType" in _assert_opsgenie_shape(response, 422)["message"]
    _assert_opsgenie_shape(_post("/v2/alerts", "{nope", integration.key), 400)
    _assert_opsgenie_shape(_post("/v2/alerts/x/close", "{nope", integration.key), 400)
    big = '{"message": "' + "a" * (600 * 1024) + '"}'
    _assert_opsgenie_shape(_post("/v2/alerts", big, integration.key), 413)


def test_rate_limit_is_429_with_retry_after() -> None:
    integration = IntegrationFactory(type="opsgenie", rate_limit_per_second=2)
    statuses = [_create(integration.key, alias=str(n)).status_code for n in range(3)]
    assert statuses == [202, 202, 429]
    response = _create(integration.key)
    _assert_opsgenie_shape(response, 429)
    assert int(response["Retry-After"]) >= 1


def test_notes_on_acknowledge_and_close_reach_the_incident_timeline(integration: Integration) -> None:
    _create(integration.key, alias="web01/http")
    inbox_process()
    incident = Incident.objects.get()
    ack = {"user": "alice@msp.example", "note": "Looking at it", "source": "mobile"}
    _assert_opsgenie_shape(
        _post("/v2/alerts/web01%2Fhttp/acknowledge?identifierType=alias", ack, integration.key), 202
    )
    _post("/v2/alerts/web01%2Fhttp/close?identifierType=alias", {"note": "Restarted nginx"}, integration.key)
    _post("/v2/alerts/web01%2Fhttp/close?identifierType=alias", {"note": "Too late"}, integration.key)
    inbox_process()
    notes = list(incident.timeline.filter(kind="note").values_list("text", "actor_label", "data__event"))
    assert notes == [
        ("Looking at it", f"alice@msp.example via {integration.name}", "acknowledge"),
        ("Restarted nginx", integration.name, "resolve"),
    ]  # the third close found no open alert: nothing to note on
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.index("note") < kinds.index("status")  # the note comes before the status it explains


def _status(request_id: str, key: str | None) -> Any:
    headers = {"Authorization": f"GenieKey {key}"} if key else {}
    return HTTP.get(f"/v2/alerts/requests/{request_id}", headers=headers)


def test_request_status_is_404_until_processed_then_names_the_alert(integration: Integration) -> None:
    created = _create(integration.key, alias="db01/disk").json()["requestId"]
    pending = _assert_opsgenie_shape(_status(created, integration.key), 404)
    assert pending["message"] == "Request not found. It might not be processed, yet."
    inbox_process()
    alert = Alert.objects.get()
    data = _assert_opsgenie_shape(_status(created, integration.key), 200)["data"]
    assert data["success"] is data["isSuccess"] is True
    assert (data["action"], data["status"], data["alias"]) == ("Create", "Created alert", "db01/disk")
    assert data["alertId"] == str(alert.pk)
    assert data["processedAt"].endswith("Z")

    closed = _post(f"/v2/alerts/{alert.pk}/close", {}, integration.key).json()["requestId"]
    inbox_process()
    data = _status(closed, integration.key).json()["data"]
    assert (data["action"], data["status"], data["alertId"]) == ("Close", "Closed", str(alert.pk))


def test_request_status_of_another_integration_or_without_key_is_not_found(integration: Integration) -> None:
    created = _create(integration.key).json()["requestId"]
    inbox_process()
    other = IntegrationFactory(type="opsgenie")
    assert _status(created, other.key).status_code == 404
    assert _status(created, None).status_code == 401
    assert _status("not-a-request", integration.key).status_code == 404


def test_request_status_of_a_failed_request_says_why(integration: Integration) -> None:
    created = _create(integration.key).json()["requestId"]
    InboxEvent.objects.filter(request_id=created).update(status="failed", error="EventError: bad\nmore")
    data = _status(created, integration.key).json()["data"]
    assert (data["success"], data["status"]) == (False, "EventError: bad")
