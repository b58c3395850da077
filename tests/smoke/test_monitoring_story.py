"""Active monitoring's story: a monitored HTTP service stops; after the retries one alert, one
incident, one page; it comes back and the alert resolves. The site's router going down
suppresses the alert of the service behind it, and the child says why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.monitoring.servers import HttpServer, free_port
from tests.smoke.harness import Scenario
from watchkeeper.alerts.models import Alert
from watchkeeper.incidents.models import Incident
from watchkeeper.monitoring.models import Monitor, MonitorResult
from watchkeeper.monitoring.runner import run_due_once
from watchkeeper.monitoring.services import monitor_create, network_policy_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.stop()


def _monitor(story: Scenario, name: str, kind: str, target: str, **fields: Any) -> Monitor:
    return monitor_create(
        actor="test", client=story.client, service=story.service, name=name, kind=kind, target=target,
        interval_seconds=60, timeout_seconds=2, retries=1, **fields,
    )  # fmt: skip


def _minute(story: Scenario) -> None:
    story.fast_forward(seconds=60)
    run_due_once()
    story.run_engine()


def test_a_service_stops_pages_once_after_the_retries_and_resolves_when_it_returns(
    story: Scenario, booking: HttpServer, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW = []  # the client's own network policy lets its monitors in
    network_policy_set(actor="test", client=story.client, networks=["127.0.0.0/8"])
    alice = story.user("Alice")
    story.policy((10, [alice]))
    monitor = _monitor(story, "Booking site", "http", f"{booking.url}/health",
                       conditions=["[BODY].status == UP"])  # fmt: skip

    _minute(story)
    monitor.refresh_from_db()
    assert (monitor.state, monitor.last_ok) == ("up", True)
    story.expect_no_messages()

    booking.stop()
    _minute(story)  # the first failure is a retry
    monitor.refresh_from_db()
    assert (
        monitor.state,
        monitor.consecutive_failures,
        Alert.objects.filter(dedup_key__startswith="monitor").count(),
    ) == ("up", 1, 0)
    story.expect_no_messages()

    _minute(story)  # the second: down, one alert, one incident, one page
    monitor.refresh_from_db()
    assert monitor.state == "down" and monitor.alert_open
    alert = Alert.objects.get(dedup_key=f"monitor-{monitor.pk}")
    assert alert.summary.startswith("Booking site is down: connection refused")
    incident = Incident.objects.get(alerts=alert)
    story.expect_message(to=alice.email, containing=incident.reference)

    _minute(story)  # still down: nothing new
    _minute(story)
    assert Alert.objects.filter(dedup_key=f"monitor-{monitor.pk}").count() == 1
    story.expect_no_messages()

    booking.start()
    _minute(story)
    monitor.refresh_from_db()
    alert.refresh_from_db()
    assert (monitor.state, monitor.alert_open, alert.status) == ("up", False, "resolved")
    assert MonitorResult.objects.filter(monitor=monitor).count() == 6
    story.run_engine()
    story._new()
    story.unmatched.clear()  # a resolution notice, if the policy sends one, is not this story's


def test_the_router_down_suppresses_the_service_behind_it(story: Scenario, booking: HttpServer) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    router = _monitor(story, "Site router", "tcp", f"127.0.0.1:{free_port()}")
    child = _monitor(story, "Booking site", "http", f"{booking.url}/health", parent=router)
    booking.stop()

    _minute(story)
    _minute(story)
    router.refresh_from_db()
    child.refresh_from_db()
    assert (router.state, router.alert_open) == ("down", True)
    assert (child.state, child.alert_open) == ("down", False)
    assert child.suppressed_reason == "Suppressed: the parent monitor Site router is down"
    assert list(
        Alert.objects.filter(dedup_key__startswith="monitor-").values_list("dedup_key", flat=True)
    ) == [f"monitor-{router.pk}"]
    incident = Incident.objects.get(alerts__dedup_key=f"monitor-{router.pk}")
    story.expect_message(to=alice.email, containing=incident.reference)
    story.expect_no_messages()
