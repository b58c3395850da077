"""PagerDuty Events API v2 through the endpoint, the inbox and the engine."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, InboxEvent
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def _send(body: dict[str, Any]) -> Any:
    return HttpClient().post("/v2/enqueue", body, content_type="application/json")


def _trigger(key: str, **extra: Any) -> dict[str, Any]:
    payload = {"summary": "DISK at 99% on db01", "source": "db01", "severity": "critical"}
    return {"routing_key": key, "event_action": "trigger", "payload": payload, **extra}


def test_trigger_retrigger_acknowledge_resolve() -> None:
    integration = IntegrationFactory()
    response = _send(_trigger(integration.key, dedup_key="db01/disk"))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "db01/disk"}
    assert _send(_trigger(integration.key, dedup_key="db01/disk")).status_code == 202
    assert inbox_process() == 2
    alert = Alert.objects.get()
    assert alert.occurrence_count == 2
    incident = Incident.objects.get()
    assert alert.incident == incident
    assert incident.priority == "P1"
    assert incident.reference == f"{integration.client.slug.upper()}-1"

    _send({"routing_key": integration.key, "event_action": "acknowledge", "dedup_key": "db01/disk"})
    inbox_process()
    incident.refresh_from_db()
    assert incident.status == "acknowledged"

    _send({"routing_key": integration.key, "event_action": "resolve", "dedup_key": "db01/disk"})
    inbox_process()
    incident.refresh_from_db()
    alert.refresh_from_db()
    assert (alert.status, incident.status) == ("resolved", "resolved")
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["opened", "alert", "status", "alert", "status"]

    # After resolve the same key opens a new alert.
    _send(_trigger(integration.key, dedup_key="db01/disk"))
    inbox_process()
    assert Alert.objects.count() == 2
    assert Incident.objects.count() == 2


def test_trigger_without_key_gets_one() -> None:
    integration = IntegrationFactory()
    response = _send(_trigger(integration.key))
    key = response.json()["dedup_key"]
    assert len(key) == 32
    inbox_process()
    assert Alert.objects.get().dedup_key == key


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"event_action": "trigger"}, "routing_key"),
        ({"event_action": "explode"}, "event_action"),
        (
            {"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "bad"}},
            "severity",
        ),
        ({"event_action": "trigger", "payload": {"source": "y", "severity": "info"}}, "payload.summary"),
        ({"event_action": "resolve"}, "dedup_key"),
    ],
)
def test_invalid_events_are_400_and_not_stored(body: dict[str, Any], error: str) -> None:
    integration = IntegrationFactory()
    if error != "routing_key":
        body = {"routing_key": integration.key, **body}
    response = _send(body)
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert any(error in message for message in response.json()["errors"])
    assert not InboxEvent.objects.exists()


def test_not_json_and_too_big() -> None:
    http = HttpClient()
    assert http.post("/v2/enqueue", "{nope", content_type="application/json").status_code == 400
    big = '{"x": "' + "a" * (600 * 1024) + '"}'
    assert http.post("/v2/enqueue", big, content_type="application/json").status_code == 413


def test_rate_limit_is_429_with_retry_after(settings: Any) -> None:
    integration = IntegrationFactory(rate_limit_per_second=2)
    statuses = [_send(_trigger(integration.key, dedup_key=str(n))).status_code for n in range(4)]
    assert statuses[:2] == [202, 202]
    assert 429 in statuses[2:]
    response = _send(_trigger(integration.key))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_disabled_integration_and_ack_for_unknown_key() -> None:
    integration = IntegrationFactory()
    assert (
        _send({"routing_key": integration.key, "event_action": "resolve", "dedup_key": "none"}).status_code
        == 202
    )
    assert inbox_process() == 1
    assert not Alert.objects.exists()
    integration.is_enabled = False
    integration.save()
    assert _send(_trigger(integration.key)).status_code == 400


def test_change_event_annotates_open_incidents() -> None:
    integration = IntegrationFactory()
    _send(_trigger(integration.key, dedup_key="a"))
    change = {"routing_key": integration.key, "payload": {"summary": "Deployed v2.3", "source": "ci"}}
    assert HttpClient().post("/v2/change/enqueue", change, content_type="application/json").status_code == 202
    inbox_process()
    assert Incident.objects.get().timeline.filter(kind="change", text__contains="Deployed v2.3").exists()
