"""The schedule in the rows: claims advance each monitor one interval (keeping its phase),
monitors spread over their interval, overdue checks raise their own alert."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import pytest

from tests.monitoring.servers import HttpServer
from watchkeeper.alerts.models import Alert
from watchkeeper.core import clock
from watchkeeper.engine.loop import run_cycle
from watchkeeper.monitoring.models import Monitor, MonitorResult
from watchkeeper.monitoring.results import overdue_check
from watchkeeper.monitoring.runner import MonitorRunner
from watchkeeper.monitoring.scheduling import monitors_claim
from watchkeeper.monitoring.services import monitor_create

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _monitors(world: Any, count: int, **fields: Any) -> list[Monitor]:
    return [
        monitor_create(actor="test", client=world.a.client, service=world.a.service, name=f"Host {n}",
                       kind="tcp", target=f"10.1.0.{n % 250 + 1}:22", **fields)
        for n in range(count)
    ]  # fmt: skip


def test_monitors_spread_over_their_interval_and_claims_keep_the_phase(world: Any) -> None:
    clock.freeze(START)
    monitors = _monitors(world, 60, interval_seconds=60)
    offsets = sorted((m.next_run_at - START).total_seconds() for m in monitors)
    assert offsets[0] >= 0 and offsets[-1] < 60
    assert len({int(o // 10) for o in offsets}) == 6  # every 10-second slice of the minute has some

    clock.advance(dt.timedelta(seconds=60))
    claimed = monitors_claim(owner="a", horizon=dt.timedelta(0), limit=1000)
    assert len(claimed) == 60
    assert monitors_claim(owner="b", horizon=dt.timedelta(0), limit=1000) == []  # nothing twice
    for item in claimed:
        monitor = Monitor.objects.get(pk=item.spec.monitor_id)
        assert monitor.next_run_at == item.due_at + dt.timedelta(seconds=60)
        assert monitor.lease_owner == "a"


def test_a_process_down_for_long_skips_the_missed_runs(world: Any) -> None:
    clock.freeze(START)
    (monitor,) = _monitors(world, 1, interval_seconds=60)
    due = monitor.next_run_at
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    (item,) = monitors_claim(owner="a", horizon=dt.timedelta(0), limit=10)
    monitor.refresh_from_db()
    assert item.due_at == due
    assert clock.now() < monitor.next_run_at <= clock.now() + dt.timedelta(seconds=60)
    assert (monitor.next_run_at - due).total_seconds() % 60 == 0


def test_an_overdue_check_is_its_own_alert_and_resolves_when_checks_run_again(world: Any) -> None:
    clock.freeze(START)
    (monitor,) = _monitors(world, 1, interval_seconds=60, timeout_seconds=5)
    clock.advance(dt.timedelta(minutes=3))
    assert overdue_check() == "1 overdue, 0 back on time"
    assert overdue_check() == "0 overdue, 0 back on time"  # once
    run_cycle()
    alert = Alert.objects.get(dedup_key=f"monitor-{monitor.pk}-overdue")
    assert alert.summary.startswith("Check overdue: Host 0") and alert.severity == "warning"
    monitors_claim(owner="a", horizon=dt.timedelta(0), limit=10)
    assert overdue_check() == "0 overdue, 1 back on time"
    run_cycle()
    alert.refresh_from_db()
    assert alert.status == "resolved"


@pytest.mark.django_db(transaction=True)
def test_the_runner_runs_due_checks_on_time_and_writes_them(committed: None, world: Any) -> None:
    server = HttpServer()
    try:
        monitors = [
            monitor_create(
                actor="test", client=world.a.client, service=world.a.service, name=f"Web {n}", kind="http",
                target=f"{server.url}/health?n={n}", interval_seconds=10, timeout_seconds=2,
            )
            for n in range(20)
        ]  # fmt: skip
        Monitor.objects.update(next_run_at=clock.now() + dt.timedelta(seconds=1))
        runner = MonitorRunner(owner="test", per_host=5)
        asyncio.run(runner.run(threading.Event(), cycles=8))  # 4 seconds of polls
        runner.close()
        results = MonitorResult.objects.filter(monitor__in=monitors)
        assert results.count() == 20
        assert all(r.ok for r in results)
        assert max(r.lag_ms for r in results) < 1500
        assert Monitor.objects.filter(state="up").count() == 20
    finally:
        server.stop()
