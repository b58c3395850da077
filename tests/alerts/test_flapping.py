"""Flapping: a key that keeps resolving and re-triggering is kept but stops opening incidents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert
from watchkeeper.alerts.services.apply import event_apply, flapping_settings
from watchkeeper.alerts.services.rules import event_rule_create, event_rule_delete
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def integration(world: Any) -> Any:
    clock.freeze(START)
    return IntegrationFactory(default_service=world.a.service)


def _trigger(integration: Any, key: str = "web/ping") -> Alert:
    event = AlertEvent(action="trigger", dedup_key=key, summary="Ping lost", source="web01", severity="error")
    alert = event_apply(integration=integration, event=event)
    assert alert is not None
    return alert


def _resolve(integration: Any, key: str = "web/ping") -> None:
    event_apply(integration=integration, event=AlertEvent(action="resolve", dedup_key=key))


def _cycle(integration: Any, minutes: int = 2) -> Alert:
    """Trigger, a little later resolve, a little later: the alert as it was triggered."""
    alert = _trigger(integration)
    clock.advance(dt.timedelta(minutes=minutes))
    _resolve(integration)
    clock.advance(dt.timedelta(minutes=minutes))
    return alert


def _flapping_entries(incident: Incident) -> int:
    return incident.timeline.filter(data__event="flapping").count()


def test_the_fourth_state_change_is_flapping_and_not_before(integration: Any) -> None:
    first = _cycle(integration)  # trigger, resolve (1)
    second = _cycle(integration)  # re-trigger (2), resolve (3)
    assert not first.suppressed and not second.suppressed
    assert first.incident is not None and second.incident is not None
    third = _trigger(integration)  # re-trigger (4)
    third.refresh_from_db()
    assert (third.suppressed, third.suppressed_reason, third.incident) == (True, "flapping", None)
    # Recorded once, on the key's last incident, and visible as a kept alert.
    assert _flapping_entries(second.incident) == 1
    assert Alert.objects.filter(integration=integration).count() == 3


def test_a_flapping_bout_is_recorded_once_and_ends_when_the_key_stays_quiet(integration: Any) -> None:
    _cycle(integration)
    last_paging = _cycle(integration)
    assert _cycle(integration).suppressed
    assert _cycle(integration).suppressed
    assert _trigger(integration).suppressed
    assert last_paging.incident is not None
    assert _flapping_entries(last_paging.incident) == 1
    incidents = Incident.objects.filter(alerts__integration=integration).distinct().count()
    assert incidents == 2
    _resolve(integration)
    clock.advance(dt.timedelta(minutes=31))  # quiet for longer than the window
    calm = _trigger(integration)
    assert not calm.suppressed and calm.incident is not None


def test_changes_spread_wider_than_the_window_are_not_flapping(integration: Any) -> None:
    for _ in range(4):
        assert not _cycle(integration, minutes=12).suppressed


def test_other_keys_and_other_integrations_do_not_count(world: Any, integration: Any) -> None:
    other = IntegrationFactory(default_service=world.a.service)
    for _ in range(2):
        _cycle(integration)
        _trigger(other)
        _resolve(other)
    assert not _trigger(integration, key="web/http").suppressed
    assert _trigger(integration).suppressed


def test_per_integration_settings(world: Any) -> None:
    clock.freeze(START)
    lenient = IntegrationFactory(
        default_service=world.a.service, config={"flapping": {"changes": 6, "minutes": 60}}
    )
    for _ in range(3):
        assert not _cycle(lenient).suppressed  # changes 1..5
    assert _trigger(lenient).suppressed  # the 6th
    off = IntegrationFactory(default_service=world.a.service, config={"flapping": {"changes": 0}})
    for _ in range(6):
        assert not _cycle(off).suppressed


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, (4, 30)),
        ({"flapping": {"changes": 3}}, (3, 30)),
        ({"flapping": {"changes": "many", "minutes": True}}, (4, 30)),
        ({"flapping": {"changes": -1, "minutes": 100000}}, (0, 1440)),
        ({"flapping": "yes"}, (4, 30)),
    ],
)
def test_settings_are_read_defensively(config: dict[str, Any], expected: tuple[int, int]) -> None:
    assert flapping_settings(IntegrationFactory.build(config=config)) == expected


def test_suppression_by_a_rule_wins_over_flapping(world: Any, integration: Any) -> None:
    rule = event_rule_create(
        actor=world.owner, client=world.a.client, name="quiet", conditions=[], actions={"suppress": True}
    )
    _cycle(integration)
    _cycle(integration)
    assert _trigger(integration).suppressed_reason == "rule: quiet"
    _resolve(integration)
    event_rule_delete(actor=world.owner, rule=rule)
    assert _trigger(integration).suppressed_reason == "flapping"


def test_flapping_without_any_incident_records_nothing(world: Any, integration: Any) -> None:
    rule = event_rule_create(
        actor=world.owner, client=world.a.client, name="quiet", conditions=[], actions={"suppress": True}
    )
    _cycle(integration)
    _cycle(integration)
    event_rule_delete(actor=world.owner, rule=rule)
    assert _trigger(integration).suppressed_reason == "flapping"
    assert not Incident.objects.filter(alerts__integration=integration).exists()
