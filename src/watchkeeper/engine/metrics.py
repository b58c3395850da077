"""Engine gauges for /metrics (DESIGN.md section 4.6): lag, queue depths and failures of the
timer table and the outbox, read from the database at scrape time so every replica agrees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, Min, Q
from prometheus_client.core import GaugeMetricFamily

from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.paging.models import MessageState, OutboxMessage


def _lag(oldest: dt.datetime | None, now: dt.datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def timer_lag_seconds(now: dt.datetime | None = None) -> float:
    """now − the due time of the oldest timer that is due and not done (0: none is late)."""
    now = now or clock.now()
    due = Q(state=TimerState.PENDING, due_at__lte=now) | Q(state=TimerState.LEASED, lease_until__lt=now)
    return _lag(Timer.objects.filter(due).aggregate(oldest=Min("due_at"))["oldest"], now)


def outbox_lag_seconds(now: dt.datetime | None = None) -> float:
    now = now or clock.now()
    due = Q(state=MessageState.PENDING, due_at__lte=now) | Q(state=MessageState.SENDING, lease_until__lt=now)
    return _lag(OutboxMessage.objects.filter(due).aggregate(oldest=Min("due_at"))["oldest"], now)


def _by_state(name: str, doc: str, counts: dict[str, int], states: list[str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["state"])
    for state in states:
        family.add_metric([state], counts.get(state, 0))
    return family


def engine_metrics() -> Iterator[GaugeMetricFamily]:
    now = clock.now()
    lag = GaugeMetricFamily(
        "watchkeeper_queue_lag_seconds", "now − oldest due item not yet handled", labels=["queue"]
    )
    lag.add_metric(["timers"], timer_lag_seconds(now))
    lag.add_metric(["outbox"], outbox_lag_seconds(now))
    yield lag
    timers = dict(Timer.objects.values_list("state").annotate(n=Count("id")).order_by())
    yield _by_state(
        "watchkeeper_timers",
        "Timers by state (failed: parked after retries)",
        timers,
        TimerState.values,
    )
    messages = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    yield _by_state(
        "watchkeeper_outbox_messages",
        "Outbox messages by state (failed: undeliverable)",
        messages,
        MessageState.values,
    )
    due = OutboxMessage.objects.filter(state=MessageState.PENDING, due_at__lte=now).count()
    yield GaugeMetricFamily(
        "watchkeeper_outbox_due", "Outbox messages due now and not yet claimed", value=due
    )
