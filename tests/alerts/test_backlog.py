"""The inbox backlog: on /metrics and /readyz, in the console for owners and admins, and load
shedding past the documented threshold (never silent: 503 with Retry-After)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from prometheus_client.parser import text_string_to_metric_families

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.backlog import inbox_backlog, shed_gauge
from watchkeeper.alerts.models import InboxEvent
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.intake import inbox_accept_many
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> None:
    limiter.reset()
    shed_gauge.reset()


def _pile_up(count: int) -> Any:
    integration = IntegrationFactory()
    payloads = [
        {"routing_key": integration.key, "event_action": "trigger", "dedup_key": f"host-{n}",
         "payload": {"summary": "Disk full", "source": "db01", "severity": "critical"}}
        for n in range(count)
    ]  # fmt: skip
    inbox_accept_many(integration=integration, kind="pagerduty", payloads=payloads)
    return integration


def _gauges() -> dict[str, float]:
    text = HttpClient().get("/metrics").content.decode()
    return {
        family.name: family.samples[0].value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("watchkeeper_inbox")
    }


def test_depth_and_age_of_the_oldest_event_on_metrics() -> None:
    assert _gauges() == {"watchkeeper_inbox_pending": 0.0, "watchkeeper_inbox_oldest_seconds": 0.0}
    _pile_up(3)
    clock.advance(dt.timedelta(seconds=42))
    gauges = _gauges()
    assert gauges["watchkeeper_inbox_pending"] == 3.0
    assert 42.0 <= gauges["watchkeeper_inbox_oldest_seconds"] < 50.0
    inbox_process()
    assert _gauges()["watchkeeper_inbox_pending"] == 0.0


def test_readyz_counts_an_inbox_that_is_behind(settings: Any) -> None:
    settings.INBOX_BEHIND_SECONDS = 30
    _pile_up(2)
    clock.advance(dt.timedelta(seconds=10))
    response = HttpClient().get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["inbox"] == "ok"
    clock.advance(dt.timedelta(seconds=25))
    response = HttpClient().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["inbox"].startswith("behind: 2 events pending, the oldest for 3")
    inbox_process()
    assert HttpClient().get("/readyz").status_code == 200


def test_owners_and_admins_see_a_banner_while_the_inbox_is_behind(world: Any, browser_as: Any) -> None:
    owner, technician = browser_as(world.owner), browser_as(world.a.technician)
    assert "Alert intake is behind" not in owner.get("/", follow=True).content.decode()
    _pile_up(5)
    clock.advance(dt.timedelta(minutes=2))
    page = owner.get("/", follow=True).content.decode()
    assert "Alert intake is behind" in page
    assert "5 accepted events not processed yet; the oldest has waited 12" in page
    assert (
        "Alert intake is behind" not in technician.get("/", follow=True).content.decode()
    )  # not theirs to fix
    inbox_process()
    assert "Alert intake is behind" not in owner.get("/", follow=True).content.decode()


def test_intake_sheds_load_only_past_the_threshold_with_503_and_retry_after(settings: Any) -> None:
    settings.INBOX_SHED_DEPTH, settings.INBOX_SHED_RETRY_AFTER = 3, 7
    integration = _pile_up(3)
    body = {"routing_key": integration.key, "event_action": "trigger",
            "payload": {"summary": "CPU", "source": "db01", "severity": "critical"}}  # fmt: skip
    http = HttpClient()
    assert (
        http.post("/v2/enqueue", body, content_type="application/json").status_code == 202
    )  # 3: at the threshold
    shed_gauge.reset()  # the next sample (at most a second later in a real process)
    response = http.post("/v2/enqueue", body, content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert "inbox is behind" in response.json()["message"]
    assert InboxEvent.objects.count() == 4  # the refused event was not stored
    alertmanager = http.post(
        f"/integrations/alertmanager/{IntegrationFactory(type='alertmanager').key}",
        {"version": "4", "status": "firing", "alerts": []}, content_type="application/json",
    )  # fmt: skip
    assert alertmanager.status_code == 503 and alertmanager["Retry-After"] == "7"
    inbox_process()
    shed_gauge.reset()
    assert http.post("/v2/enqueue", body, content_type="application/json").status_code == 202


def test_shedding_is_off_at_zero(settings: Any) -> None:
    settings.INBOX_SHED_DEPTH = 0
    integration = _pile_up(5)
    body = {"routing_key": integration.key, "event_action": "trigger",
            "payload": {"summary": "CPU", "source": "db01", "severity": "critical"}}  # fmt: skip
    assert HttpClient().post("/v2/enqueue", body, content_type="application/json").status_code == 202
    assert inbox_backlog().pending == 6
