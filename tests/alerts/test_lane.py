"""The priority lane (ADR 0038): rows that open a new problem go before a storm's repeats, and
per-key order still holds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, AlertStatus, InboxEvent, InboxStatus, Integration
from watchkeeper.alerts.services import lane, processing
from watchkeeper.alerts.services.intake import inbox_accept, inbox_accept_many
from watchkeeper.alerts.services.lane import lane_ids
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.core.models import Timer
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db


def _event(action: str, key: str, summary: str = "Disk full on db01") -> dict[str, Any]:
    body: dict[str, Any] = {"event_action": action, "dedup_key": key}
    if action == "trigger":
        body["payload"] = {"summary": summary, "source": "db01", "severity": "critical"}
    return body


def _accept(integration: Integration, *events: dict[str, Any]) -> list[int]:
    payloads = [{"routing_key": integration.key, **event} for event in events]
    inbox_accept_many(integration=integration, kind="pagerduty", payloads=payloads)
    return list(InboxEvent.objects.order_by("-id").values_list("id", flat=True)[: len(events)])[::-1]


def _storm(integration: Integration, repeats: int, *, keys: int = 5) -> None:
    """`keys` open problems, then `repeats` repeats of them queued."""
    _accept(integration, *[_event("trigger", f"host-{n}") for n in range(keys)])
    inbox_process()
    _accept(integration, *[_event("trigger", f"host-{n % keys}", f"again {n}") for n in range(repeats)])


@pytest.fixture
def one_small_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pass is one batch of 20 rows, however fast or slow the machine."""
    monkeypatch.setattr(processing._batch_size, "rows", 20)
    monkeypatch.setattr(processing._BatchSize, "adapt", lambda *_: None)
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60)
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 60)


@pytest.mark.usefixtures("one_small_batch")
def test_a_new_problem_behind_a_backlog_of_repeats_is_opened_by_the_next_batch() -> None:
    integration = IntegrationFactory()
    _storm(integration, 1000)
    (new,) = _accept(integration, _event("trigger", "p1-new", "Practice server down"))
    _accept(integration, *[_event("trigger", f"host-{n % 5}") for n in range(50)])

    assert inbox_process(seconds=0) == 20  # one batch of the pass
    alert = Alert.objects.get(dedup_key="p1-new")
    assert alert.incident is not None and alert.status == AlertStatus.TRIGGERED
    # Its page is on its way: the paging timer the incident set, due now.
    assert Timer.objects.filter(kind="paging.incident", key=str(alert.incident_id), state="pending").exists()
    assert InboxEvent.objects.get(pk=new).status == InboxStatus.DONE
    assert InboxEvent.objects.filter(status=InboxStatus.PENDING).count() == 1050 - 19  # the rest waits

    while inbox_process():
        pass
    counts = dict(Alert.objects.values_list("dedup_key", "occurrence_count"))
    assert counts == {"host-0": 211, "host-1": 211, "host-2": 211, "host-3": 211, "host-4": 211, "p1-new": 1}
    assert Incident.objects.count() == 6


@pytest.mark.usefixtures("one_small_batch")
def test_only_the_first_row_of_a_new_key_jumps_ahead_and_later_rows_keep_their_order() -> None:
    integration = IntegrationFactory()
    _storm(integration, 300)
    trigger, *_, resolve, again = _accept(
        integration,
        _event("trigger", "new"), *[_event("trigger", "host-1")] * 300, _event("resolve", "new"),
        _event("trigger", "new", "back again"),
    )  # fmt: skip
    assert lane_ids() == [trigger]  # the resolve and the trigger after it are not first of their key
    inbox_process(seconds=0)
    assert InboxEvent.objects.get(pk=trigger).status == InboxStatus.DONE
    assert InboxEvent.objects.get(pk=resolve).status == InboxStatus.PENDING
    while inbox_process():
        pass
    first, second = Alert.objects.filter(dedup_key="new").order_by("id")
    assert (first.status, second.status) == (AlertStatus.RESOLVED, AlertStatus.TRIGGERED)
    assert second.summary == "back again"
    assert InboxEvent.objects.get(pk=again).status == InboxStatus.DONE


def test_a_key_with_an_open_alert_is_not_in_the_lane() -> None:
    integration = IntegrationFactory()
    _storm(integration, 250)
    _accept(integration, _event("resolve", "host-3"), _event("acknowledge", "unknown"))
    (unknown,) = InboxEvent.objects.order_by("-id").values_list("id", flat=True)[:1]
    assert lane_ids() == [unknown]  # host-3's resolve waits for host-3's repeats


def test_a_row_whose_keys_are_unknown_until_parsed_stops_the_lane_for_its_integration() -> None:
    """A change event (or an Alertmanager batch) names no key on its row: rows of its integration
    after it keep their place; another integration's new problem still jumps ahead."""
    integration, other = IntegrationFactory(), IntegrationFactory()
    _storm(integration, 250)
    before, *_ = _accept(integration, _event("trigger", "early-new"))
    inbox_accept(
        integration=integration, kind="pagerduty_change",
        payload={"routing_key": integration.key, "payload": {"summary": "Deployed", "source": "ci"}},
    )  # fmt: skip
    _accept(integration, _event("trigger", "late-new"))
    (elsewhere,) = _accept(other, _event("trigger", "other-new"))
    assert lane_ids() == [before, elsewhere]


def test_a_short_inbox_keeps_arrival_order(monkeypatch: pytest.MonkeyPatch) -> None:
    integration = IntegrationFactory()
    ids = _accept(integration, *[_event("trigger", f"k-{n}") for n in range(5)])
    monkeypatch.setattr(lane, "lane_ids", lambda: pytest.fail("no lane for a short inbox"))
    assert lane.lane_first(ids, limit=100) == ids


def test_the_lane_is_bounded_per_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    integration = IntegrationFactory()
    monkeypatch.setattr(lane, "LANE_ROWS", 3)
    monkeypatch.setattr(lane, "LANE_FROM", 1)
    repeats, new = [_event("trigger", "host-0")] * 4, [_event("trigger", f"k{n}") for n in range(6)]
    ids = _accept(integration, *repeats, *new)
    assert lane_ids() == ids[:1] + ids[4:6]
    assert lane.lane_first(ids, limit=5) == [ids[0], ids[4], ids[5], ids[1], ids[2]]
