"""Heartbeats on a fast-forward clock: late → alert, check-in → resolved, catch-up after downtime."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.heartbeats import duration_text, heartbeat_check_overdue
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.core import clock
from watchkeeper.engine.loop import run_cycle
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db

# One client for the module: each new one sets its middleware up again (about 0.25 s).
HTTP = HttpClient()

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen() -> None:
    limiter.reset()
    clock.freeze(T0)


@pytest.fixture
def backup() -> Integration:
    # Nightly-style job every 5 minutes with 1 minute of grace: late after 6 minutes.
    return IntegrationFactory(
        type="heartbeat", name="fs01 backup", heartbeat_interval_seconds=300, heartbeat_grace_seconds=60
    )


def _checkin(integration: Integration, method: str = "get", **extra: Any) -> Any:
    return getattr(HTTP, method)(f"/integrations/heartbeat/{integration.key}", **extra)


def test_late_alert_then_checkin_resolves(backup: Integration) -> None:
    clock.advance(dt.timedelta(minutes=5, seconds=59))
    assert heartbeat_check_overdue() == 0
    clock.advance(dt.timedelta(minutes=1, seconds=1))
    assert heartbeat_check_overdue() == 1
    assert heartbeat_check_overdue() == 0  # idempotent: one alert per missed deadline
    alert = Alert.objects.get()
    assert (alert.dedup_key, alert.severity) == ("heartbeat", "error")
    assert alert.summary == "No check-in from fs01 backup for 7 min"
    incident = Incident.objects.get()
    assert incident.alerts.get() == alert

    response = _checkin(backup)
    assert response.status_code == 202
    assert response.json() == {"status": "ok"}
    backup.refresh_from_db()
    assert backup.last_event_at == clock.now()  # stored at ingest, before the engine runs
    assert heartbeat_check_overdue() == 0
    assert inbox_process() == 1
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert (alert.status, incident.status) == ("resolved", "resolved")


def test_catch_up_after_downtime_and_manual_resolve_is_respected(backup: Integration) -> None:
    _checkin(backup, "post", data="backup ok: 42 GB", content_type="text/plain")
    inbox_process()
    assert InboxEvent.objects.get().payload == {"method": "POST", "note": "backup ok: 42 GB"}
    # The engine was down for three hours: its first run alerts once, from the stored times.
    clock.advance(dt.timedelta(hours=3))
    assert heartbeat_check_overdue() == 1
    assert Alert.objects.get().summary == "No check-in from fs01 backup for 3 h"
    # A technician resolves it while the job is still silent: no new page for the same miss.
    Alert.objects.update(status="resolved", resolved_at=clock.now())
    clock.advance(dt.timedelta(minutes=10))
    assert heartbeat_check_overdue() == 0
    # The next check-in and a new miss alert again.
    _checkin(backup)
    clock.advance(dt.timedelta(minutes=7))
    assert heartbeat_check_overdue() == 1
    assert Alert.objects.filter(status="triggered").count() == 1


def test_never_checked_in_counts_from_creation_and_config_severity() -> None:
    integration = IntegrationFactory(
        type="heartbeat",
        heartbeat_interval_seconds=3600,
        heartbeat_grace_seconds=0,
        config={"severity": "crit"},
    )
    clock.advance(dt.timedelta(minutes=59))
    assert heartbeat_check_overdue() == 0
    clock.advance(dt.timedelta(minutes=2))
    assert heartbeat_check_overdue() == 1
    alert = Alert.objects.get(integration=integration)
    assert alert.severity == "critical"
    assert alert.details["last_check_in"] is None


def test_engine_job_runs_the_check(backup: Integration) -> None:
    run_cycle()
    clock.advance(dt.timedelta(minutes=7))
    run_cycle()
    assert Alert.objects.filter(integration=backup, status="triggered").count() == 1


def test_disabled_or_unknown_are_404_and_not_alerted(backup: Integration) -> None:
    backup.is_enabled = False
    backup.save()
    assert _checkin(backup).status_code == 404
    assert HTTP.get("/integrations/heartbeat/nope").status_code == 404
    clock.advance(dt.timedelta(hours=1))
    assert heartbeat_check_overdue() == 0
    assert HTTP.put(f"/integrations/heartbeat/{backup.key}").status_code == 405


def test_checkin_body_limit_and_rate_limit() -> None:
    integration = IntegrationFactory(type="heartbeat", rate_limit_per_second=1)
    big = "a" * (600 * 1024)
    assert _checkin(integration, "post", data=big, content_type="text/plain").status_code == 413
    limiter.reset()
    assert _checkin(integration).status_code == 202
    response = _checkin(integration)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (420, "7 min"), (3900, "1 h 5 min"), (7200, "2 h"), (183600, "2 d 3 h"), (86400, "1 d")],
)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(dt.timedelta(seconds=seconds)) == text


def test_head_checks_in_with_an_empty_answer(backup: Integration) -> None:
    clock.advance(dt.timedelta(minutes=7))
    assert heartbeat_check_overdue() == 1
    response = HTTP.head(f"/integrations/heartbeat/{backup.key}")
    assert response.status_code == 202
    assert response.content == b""
    assert InboxEvent.objects.get().payload == {"method": "HEAD"}
    inbox_process()
    assert Alert.objects.get().status == "resolved"
