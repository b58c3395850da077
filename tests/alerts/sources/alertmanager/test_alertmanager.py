"""Alertmanager webhook_config v4 through the endpoint, the inbox and the engine."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.alerts.sources.alertmanager.parse import labels_hash, parse_group, severity_from_word
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db

# One client for the module: each new one sets its middleware up again (about 0.25 s).
HTTP = HttpClient()

GROUP_KEY = '{}/{severity="critical"}:{alertname="ProbeFailure"}'


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def _alert(instance: str, fingerprint: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "ProbeFailure", "instance": instance, "severity": "critical", **labels},
        "annotations": {"summary": f"Probe failed for {instance}", "description": "HTTP probe timed out"},
        "startsAt": "2023-02-06T13:08:45.828812345Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=probe_success",
        "fingerprint": fingerprint,
    }


def _group(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": GROUP_KEY,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "watchkeeper",
        "groupLabels": {"alertname": "ProbeFailure"},
        "commonLabels": {"alertname": "ProbeFailure", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def _post(integration: Integration, body: Any) -> Any:
    return HTTP.post(f"/integrations/alertmanager/{integration.key}", body, content_type="application/json")


def test_firing_group_opens_alerts_and_one_incident_then_resolves() -> None:
    integration = IntegrationFactory(type="alertmanager")
    firing = _group(_alert("https://a.example", "aaaa0001"), _alert("https://b.example", "bbbb0002"))
    response = _post(integration, firing)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "alerts": 2}
    assert InboxEvent.objects.get().kind == "alertmanager"  # the whole group is one row

    assert inbox_process() == 1
    alerts = list(Alert.objects.order_by("dedup_key"))
    assert [a.dedup_key for a in alerts] == ["aaaa0001", "bbbb0002"]
    incident = Incident.objects.get()
    assert all(a.incident == incident for a in alerts)
    first = alerts[0]
    assert (first.summary, first.severity, first.source) == (
        "Probe failed for https://a.example",
        "critical",
        "https://a.example",
    )
    assert first.group_key == GROUP_KEY
    assert first.labels["instance"] == "https://a.example"
    assert first.details["description"] == "HTTP probe timed out"
    assert {link["text"] for link in first.links} == {"Source", "Alertmanager"}

    # The same group again (Alertmanager repeats): occurrences, no new alerts or incidents.
    _post(integration, firing)
    inbox_process()
    assert Alert.objects.count() == 2
    assert Alert.objects.get(dedup_key="aaaa0001").occurrence_count == 2

    # One alert resolves: the incident stays open; then the whole group resolves.
    partly = _group(
        _alert("https://a.example", "aaaa0001", "resolved"), _alert("https://b.example", "bbbb0002")
    )
    _post(integration, partly)
    inbox_process()
    incident.refresh_from_db()
    assert incident.status == "triggered"
    resolved = _group(
        _alert("https://a.example", "aaaa0001", "resolved"),
        _alert("https://b.example", "bbbb0002", "resolved"),
        status="resolved",
    )
    _post(integration, resolved)
    inbox_process()
    incident.refresh_from_db()
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}
    assert incident.status == "resolved"


def test_grafana_superset_is_accepted() -> None:
    integration = IntegrationFactory(type="alertmanager")
    alert = _alert("db01", "cafe0001")
    alert.update(
        silenceURL="https://grafana.example/alerting/silence/new?alertmanager=grafana",
        dashboardURL="https://grafana.example/d/abc",
        panelURL="https://grafana.example/d/abc?viewPanel=2",
        values={"B": 97.5},
        valueString="[ var='B' labels={} value=97.5 ]",
    )
    body = {
        **_group(alert),
        "version": "1",
        "orgId": 1,
        "title": "[FIRING:1] ProbeFailure",
        "state": "alerting",
    }
    body["externalURL"] = "https://grafana.example/"
    assert _post(integration, body).status_code == 200
    inbox_process()
    stored = Alert.objects.get()
    assert {link["text"] for link in stored.links} == {
        "Source",
        "Silence",
        "Dashboard",
        "Panel",
        "Alertmanager",
    }
    assert stored.details["values"] == {"B": 97.5}
    assert stored.details["valueString"].startswith("[ var='B'")


def test_missing_fingerprint_uses_a_stable_label_hash() -> None:
    alert = _alert("db01", "x")
    del alert["fingerprint"]
    first = parse_group(_group(alert))[0]
    shuffled = copy.deepcopy(alert)
    shuffled["labels"] = dict(reversed(list(alert["labels"].items())))
    assert parse_group(_group(shuffled))[0].dedup_key == first.dedup_key == labels_hash(alert["labels"])


def test_service_label_routes_and_severity_words_map() -> None:
    integration = IntegrationFactory(type="alertmanager", config={"service_label": "team_service"})
    other = ServiceFactory(client=integration.client, name="Billing API")
    _post(integration, _group(_alert("api01", "f1", severity="warn", team_service="Billing API")))
    inbox_process()
    alert = Alert.objects.get()
    assert alert.service == other
    assert alert.severity == "warning"
    assert severity_from_word("P1") == "critical"
    assert severity_from_word("major") == "error"
    assert severity_from_word("something odd") == "warning"  # unknown → warning (documented)
    assert severity_from_word(None) == "warning"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ([1, 2], "JSON object"),
        ({"version": "4"}, "'alerts'"),
        ({"alerts": []}, "'alerts'"),
        ({"alerts": ["nope"]}, "alerts[0]"),
        ({"alerts": [{"status": "burning", "labels": {"a": "b"}}]}, "alerts[0].status"),
        ({"alerts": [{"status": "firing", "labels": {"a": {"b": 1}}}]}, "alerts[0].labels.a"),
        ({"alerts": [{"status": "firing"}]}, "labels"),
        ({"groupKey": 5, "alerts": [{"status": "firing", "labels": {"a": "b"}}]}, "groupKey"),
    ],
)
def test_invalid_bodies_are_400_naming_the_problem(body: Any, needle: str) -> None:
    integration = IntegrationFactory(type="alertmanager")
    response = _post(integration, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert any(needle in message for message in response.json()["errors"])
    assert not InboxEvent.objects.exists()


def test_unknown_key_wrong_type_not_json_and_too_big() -> None:
    pagerduty = IntegrationFactory(type="pagerduty")
    http = HTTP
    assert _post(pagerduty, _group(_alert("a", "b"))).status_code == 404
    assert (
        http.post("/integrations/alertmanager/nope", {}, content_type="application/json").status_code == 404
    )
    integration = IntegrationFactory(type="alertmanager")
    url = f"/integrations/alertmanager/{integration.key}"
    response = http.post(url, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    big = '{"alerts": "' + "a" * (600 * 1024) + '"}'
    assert http.post(url, big, content_type="application/json").status_code == 413
    assert http.get(url).status_code == 405


def test_shedding_is_503_with_retry_after_and_costs_per_alert() -> None:
    integration = IntegrationFactory(type="alertmanager", rate_limit_per_second=3)
    two = _group(_alert("a", "f1"), _alert("b", "f2"))
    assert _post(integration, two).status_code == 200
    response = _post(integration, two)  # 1 token left, 2 alerts: shed
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert "retry" in response.json()["error"]
    assert InboxEvent.objects.count() == 1
