"""Alerts follow their incident: the `alerts.incident` watcher resolves the open alerts of an
incident that was resolved or closed by hand, and leaves an open incident's alerts alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, AlertStatus, Integration
from watchkeeper.alerts.services.incident_end import incident_alerts_resolve, incidents_alerts_resolve
from watchkeeper.alerts.services.intake import inbox_accept_many
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.services import incident_reopen, incident_resolve

pytestmark = pytest.mark.django_db


def _trigger(integration: Integration, *keys: str) -> None:
    payloads: list[dict[str, Any]] = [
        {"routing_key": integration.key, "event_action": "trigger", "dedup_key": key,
         "payload": {"summary": f"{key} failed", "source": "db01", "severity": "critical"}}
        for key in keys
    ]  # fmt: skip
    inbox_accept_many(integration=integration, kind="pagerduty", payloads=payloads)
    inbox_process()


def test_a_resolved_incident_s_open_alerts_are_resolved_once() -> None:
    integration = IntegrationFactory()
    _trigger(integration, "a")
    incident = Incident.objects.get()
    assert incident_alerts_resolve(incident_id=incident.pk) == 0  # open: nothing to do
    incident_resolve(incident=incident, by="someone")
    assert incident_alerts_resolve(incident_id=incident.pk) == 1
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None
    assert incident.timeline.filter(data__with="incident").count() == 1
    assert incident_alerts_resolve(incident_id=incident.pk) == 0  # idempotent


def test_a_reopened_incident_keeps_its_alerts() -> None:
    integration = IntegrationFactory()
    _trigger(integration, "a")
    incident = Incident.objects.get()
    incident_resolve(incident=incident, by="someone")
    incident_reopen(incident=incident, by="someone")  # before the watcher ran
    assert incident_alerts_resolve(incident_id=incident.pk) == 0
    assert Alert.objects.get().status == AlertStatus.TRIGGERED


def test_the_batched_watcher_reads_once_and_resolves_only_the_ended_incidents(
    django_assert_max_num_queries: Any,
) -> None:
    integration = IntegrationFactory()
    _trigger(integration, *[f"k{n}" for n in range(5)])
    incidents = list(Incident.objects.order_by("id"))
    ids = [incident.pk for incident in incidents]
    with django_assert_max_num_queries(1):
        assert incidents_alerts_resolve(incident_ids=ids) == 0  # all open: one read, no lock
    incident_resolve(incident=incidents[2], by="Alice")
    assert incidents_alerts_resolve(incident_ids=ids) == 1
    assert Alert.objects.get(dedup_key="k2").status == AlertStatus.RESOLVED
    assert Alert.objects.filter(status=AlertStatus.TRIGGERED).count() == 4
