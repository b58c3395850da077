"""The engine's inbox batches: one transaction per batch, one savepoint per row."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, AlertStatus, EventRule, InboxEvent, InboxStatus, Integration
from watchkeeper.alerts.services import processing
from watchkeeper.alerts.services.intake import inbox_accept_many
from watchkeeper.alerts.services.news import NewAlerts
from watchkeeper.alerts.services.processing import MAX_ATTEMPTS, inbox_process
from watchkeeper.core.models import Timer
from watchkeeper.incidents.models import Incident, TimelineEntry

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


@pytest.fixture
def failing_key(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Dedup keys whose events raise in the middle of applying (after some writes)."""
    keys: set[str] = set()
    real = processing.event_apply

    def apply(**kwargs: Any) -> Any:
        result = real(**kwargs)  # writes first, so the savepoint has something to roll back
        if kwargs["event"].dedup_key in keys:
            raise RuntimeError("database hiccup")
        return result

    monkeypatch.setattr(processing, "event_apply", apply)
    # New problems take the per-event path here, where the failure is injected (a failure while
    # deferred new problems are written: test_a_failing_write_of_new_problems_fails_only_its_row).
    monkeypatch.setattr(NewAlerts, "try_defer", lambda *_, **__: False)
    # One batch for all rows: on a loaded machine the 50 ms budget can cut the batch after the
    # failing row, and the next batch (which does not know it failed) would try its later rows.
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60.0)
    return keys


def test_one_batch_applies_repeats_and_resolves_of_a_key_in_order() -> None:
    integration = IntegrationFactory()
    _accept(
        integration,
        _event("trigger", "a"), _event("trigger", "a", "Disk full again"), _event("resolve", "a"),
        _event("trigger", "a"), _event("trigger", "b"),
    )  # fmt: skip
    assert inbox_process() == 5
    first, second, other = Alert.objects.order_by("id")
    assert (first.dedup_key, first.status, first.occurrence_count) == ("a", AlertStatus.RESOLVED, 2)
    assert first.summary == "Disk full again"
    assert (second.dedup_key, second.status, second.occurrence_count) == ("a", AlertStatus.TRIGGERED, 1)
    assert other.dedup_key == "b"
    assert first.incident is not None and first.incident.status == "resolved"
    assert second.incident != first.incident  # the resolved incident stays resolved
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()
    assert set(InboxEvent.objects.values_list("attempts", flat=True)) == {1}


def test_a_failing_row_rolls_back_only_itself_and_later_rows_of_its_key_wait(failing_key: set[str]) -> None:
    integration = IntegrationFactory()
    failing_key.add("bad")
    good, bad, later_bad, other = _accept(
        integration, _event("trigger", "good"), _event("trigger", "bad"), _event("resolve", "bad"),
        _event("trigger", "other"),
    )  # fmt: skip
    inbox_process()
    rows = {row.pk: row for row in InboxEvent.objects.all()}
    assert rows[good].status == rows[other].status == InboxStatus.DONE
    assert (rows[bad].status, rows[bad].attempts) == (InboxStatus.PENDING, 1)
    assert "database hiccup" in rows[bad].error
    assert (rows[later_bad].status, rows[later_bad].attempts) == (InboxStatus.PENDING, 0)  # waits its turn
    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == ["good", "other"]
    assert Incident.objects.count() == 2  # the bad row's incident rolled back with it
    assert Timer.objects.filter(kind="paging.incident").count() == 2

    failing_key.clear()  # the hiccup is over: the next pass applies the key's rows in order
    inbox_process()
    alert = Alert.objects.get(dedup_key="bad")
    assert alert.status == AlertStatus.RESOLVED
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()


def test_a_row_that_keeps_failing_is_parked_and_stops_blocking_its_key(failing_key: set[str]) -> None:
    integration = IntegrationFactory()
    failing_key.add("bad")
    bad, later = _accept(integration, _event("trigger", "bad"), _event("trigger", "bad"))
    for _ in range(MAX_ATTEMPTS):
        inbox_process()
    assert InboxEvent.objects.get(pk=bad).status == InboxStatus.FAILED
    assert InboxEvent.objects.get(pk=later).status == InboxStatus.PENDING
    failing_key.clear()
    inbox_process()
    assert InboxEvent.objects.get(pk=later).status == InboxStatus.DONE
    assert Alert.objects.get(dedup_key="bad").occurrence_count == 1


def test_an_unparsable_row_is_parked_at_once_without_touching_its_neighbours() -> None:
    integration = IntegrationFactory()
    first, broken, last = _accept(
        integration, _event("trigger", "a"), {"event_action": "explode"}, _event("trigger", "b")
    )
    inbox_process()
    rows = {row.pk: row for row in InboxEvent.objects.all()}
    assert rows[broken].status == InboxStatus.FAILED and rows[broken].attempts == 1
    assert rows[first].status == rows[last].status == InboxStatus.DONE


def test_a_batch_that_fails_as_a_whole_is_redone_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    integration = IntegrationFactory()
    _accept(integration, _event("trigger", "a"), _event("trigger", "b"))

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("prefetch lost the connection")

    monkeypatch.setattr(processing.ApplyCache, "prefetch", broken)
    assert inbox_process() == 2
    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == ["a", "b"]
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()


def test_a_row_another_engine_finished_is_skipped() -> None:
    integration = IntegrationFactory()
    (row_id,) = _accept(integration, _event("trigger", "a"))
    InboxEvent.objects.filter(pk=row_id).update(status=InboxStatus.DONE)
    processing._batch_process([row_id], processing._Pass())
    assert not Alert.objects.exists()


def test_queries_per_new_alert_and_incident_stay_flat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each new alert with a new incident costs a fixed handful of statements; what a batch
    shares (rules, policy, the open alerts of its keys, the inbox rows) is read once."""
    integration = IntegrationFactory()
    _accept(integration, *[_event("trigger", f"warm-{n}") for n in range(2)])
    inbox_process()  # integration and caches warm
    _accept(integration, *[_event("trigger", f"host-{n}") for n in range(40)])
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60)  # one batch, however slow the machine
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 60)
    monkeypatch.setattr(processing._batch_size, "rows", 200)
    with CaptureQueriesContext(connection) as queries:
        assert inbox_process() == 40
    assert Incident.objects.count() == 42
    assert TimelineEntry.objects.count() == 84
    # Per row: savepoint (2), alert, incident (savepoint 2, number, row, timeline, timers),
    # arrival timeline entry = 10; the batch adds about ten (and the advisory lock on PostgreSQL).
    assert len(queries) <= 40 * 10 + 15, len(queries)


def test_flapping_is_seen_within_one_batch() -> None:
    integration = IntegrationFactory()
    _accept(
        integration, _event("trigger", "a"), _event("resolve", "a"), _event("trigger", "a"),
        _event("resolve", "a"), _event("trigger", "a"),
    )  # fmt: skip
    inbox_process()
    alerts = list(Alert.objects.order_by("id"))
    assert [alert.suppressed_reason for alert in alerts] == ["", "", "flapping"]
    assert alerts[2].incident is None


def test_a_key_waiting_behind_a_failed_row_still_waits_after_the_batch_is_cut(
    failing_key: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time budget cuts the first batch after its failed row of key "k"; the next batch of
    the same pass must not apply k's later row ahead of it (it once forgot the failure)."""
    integration = IntegrationFactory()
    failing_key.add("k")
    trigger, other, resolve = _accept(
        integration, _event("trigger", "k"), _event("trigger", "x"), _event("resolve", "k")
    )
    monkeypatch.setattr(processing, "BATCH_SECONDS", 0.0)  # cut after the first row that is done
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 0.0)
    monkeypatch.setattr(processing._batch_size, "rows", 200)
    inbox_process()
    rows = {row.pk: row for row in InboxEvent.objects.all()}
    assert rows[other].status == InboxStatus.DONE
    assert (rows[trigger].status, rows[trigger].attempts) == (InboxStatus.PENDING, 1)
    assert (rows[resolve].status, rows[resolve].attempts) == (InboxStatus.PENDING, 0)  # still waits

    failing_key.clear()
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60.0)
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 60.0)
    inbox_process()
    alert = Alert.objects.get(dedup_key="k")
    assert alert.status == AlertStatus.RESOLVED  # trigger, then resolve: arrival order held
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()


def test_repeats_of_open_alerts_are_folded_into_one_update_per_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    """A storm: hundreds of repeats of a few open alerts cost a handful of statements per batch
    (one UPDATE per alert, sent together), and the alert ends as if each repeat had applied."""
    integration = IntegrationFactory()
    _accept(integration, *[_event("trigger", f"host-{n}") for n in range(3)])
    inbox_process()
    storm = [_event("trigger", f"host-{n % 3}", f"Disk full, sample {n}") for n in range(300)]
    storm[298]["payload"]["custom_details"] = {"free": "1%"}
    _accept(integration, *storm)
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60)  # one batch, however slow the machine
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 60)
    monkeypatch.setattr(processing._batch_size, "rows", 1000)
    with CaptureQueriesContext(connection) as queries:
        assert inbox_process() == 300
    # (three of them look for the priority lane: 300 rows are a long inbox, ADR 0038)
    assert len(queries) <= 15, [query["sql"][:80] for query in queries]
    alerts = {alert.dedup_key: alert for alert in Alert.objects.all()}
    assert {key: alert.occurrence_count for key, alert in alerts.items()} == {
        "host-0": 101, "host-1": 101, "host-2": 101,
    }  # fmt: skip
    assert alerts["host-2"].summary == "Disk full, sample 299"
    assert alerts["host-2"].raw["payload"]["summary"] == "Disk full, sample 299"
    assert alerts["host-2"].raw["routing_key"] == "[redacted]"
    assert alerts["host-1"].details == {"free": "1%"}  # the last non-empty details stay
    assert alerts["host-1"].last_seen_at > alerts["host-1"].first_seen_at
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()


def test_a_resolve_after_folded_repeats_sees_them_and_a_new_trigger_opens_anew() -> None:
    integration = IntegrationFactory()
    _accept(integration, _event("trigger", "a"))
    inbox_process()
    _accept(
        integration, _event("trigger", "a"), _event("trigger", "a"), _event("resolve", "a"),
        _event("trigger", "a"), _event("trigger", "a"),
    )  # fmt: skip
    inbox_process()
    first, second = Alert.objects.order_by("id")
    assert (first.status, first.occurrence_count) == (AlertStatus.RESOLVED, 3)
    assert (second.status, second.occurrence_count) == (AlertStatus.TRIGGERED, 2)


def test_dropped_repeats_are_counted_once_per_rule() -> None:
    integration = IntegrationFactory()
    _accept(integration, _event("trigger", "a"))
    inbox_process()
    rule = EventRule.objects.create(
        client=integration.client, name="Noise", conditions=[{"field": "summary", "op": "contains",
        "value": "noise"}], actions={"drop": True},
    )  # fmt: skip
    _accept(integration, *[_event("trigger", "a", "noise") for _ in range(5)], _event("trigger", "a"))
    inbox_process()
    rule.refresh_from_db()
    assert rule.dropped_count == 5 and rule.last_dropped_at is not None
    assert Alert.objects.get().occurrence_count == 2


def test_the_engine_pass_ends_on_time_so_timers_and_pages_get_a_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    integration = IntegrationFactory()
    _accept(integration, *[_event("trigger", f"host-{n}") for n in range(5)])
    monkeypatch.setattr(processing._batch_size, "rows", 2)
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60)
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 60)
    monkeypatch.setattr(processing._BatchSize, "adapt", lambda *_: None)
    assert inbox_process(seconds=0) == 2  # one batch, then the time is up
    assert inbox_process() == 3  # without a time limit: every batch of the pass


def test_new_problems_are_written_together_and_stay_exactly_as_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch of new problems: the same alerts, incidents (numbered in arrival order), timeline
    entries and watchers' timers as the per-event path, in a handful of statements; a later
    repeat in the batch folds into the new alert, a later resolve resolves it."""
    integration = IntegrationFactory()
    _accept(integration, _event("trigger", "warm"))
    inbox_process()
    events = [_event("trigger", f"host-{n}", f"Disk full on host-{n}") for n in range(30)]
    _accept(integration, *events, _event("trigger", "host-3"), _event("resolve", "host-4"))
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60)
    monkeypatch.setattr(processing, "BATCH_SECONDS_SERVER", 60)
    monkeypatch.setattr(processing._batch_size, "rows", 200)
    with CaptureQueriesContext(connection) as queries:
        assert inbox_process() == 32
    assert len(queries) <= 40, [query["sql"][:80] for query in queries]
    alerts = {alert.dedup_key: alert for alert in Alert.objects.select_related("incident")}
    assert (alerts["host-3"].occurrence_count, alerts["host-4"].status) == (2, AlertStatus.RESOLVED)
    incidents = list(Incident.objects.order_by("number"))
    assert [incident.title for incident in incidents[1:4]] == [f"Disk full on host-{n}" for n in range(3)]
    assert [incident.number for incident in incidents] == list(range(1, 32))
    for n in range(30):
        alert = alerts[f"host-{n}"]
        assert alert.incident is not None and alert.incident.title == f"Disk full on host-{n}"
        assert {"alert", "opened"} <= set(alert.incident.timeline.values_list("kind", flat=True))
    assert Timer.objects.filter(kind="paging.incident").count() == 31
    assert Timer.objects.filter(kind="sla.incident").count() == 31


def test_a_failing_write_of_new_problems_fails_only_its_row(
    failing_key: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's write of new problems fails (here: for key "k"): the batch is done again row
    by row, where only k's row fails."""
    monkeypatch.undo()  # new problems are deferred again
    monkeypatch.setattr(processing, "BATCH_SECONDS", 60.0)
    failing_key.add("k")
    real = processing.event_apply

    def apply(**kwargs: Any) -> Any:
        if kwargs["event"].dedup_key in failing_key:
            raise RuntimeError("database hiccup")
        return real(**kwargs)

    monkeypatch.setattr(processing, "event_apply", apply)
    flush = NewAlerts.flush

    def failing_flush(self: NewAlerts, cache: Any) -> None:
        if any(key for _, key in self.keys if key in failing_key):
            raise RuntimeError("database hiccup")
        flush(self, cache)

    monkeypatch.setattr(NewAlerts, "flush", failing_flush)
    integration = IntegrationFactory()
    first, bad, last = _accept(
        integration, _event("trigger", "a"), _event("trigger", "k"), _event("trigger", "b")
    )
    inbox_process()
    rows = {row.pk: row for row in InboxEvent.objects.all()}
    assert (rows[first].status, rows[last].status) == (InboxStatus.DONE, InboxStatus.DONE)
    assert (rows[bad].status, rows[bad].attempts) == (InboxStatus.PENDING, 1)
    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == ["a", "b"]
    assert Incident.objects.count() == 2
