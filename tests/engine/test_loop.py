"""The engine runs each due periodic job once, across restarts and several engines."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import LoginFailure
from watchkeeper.accounts.services import login_failure_record
from watchkeeper.core import clock
from watchkeeper.engine import loop
from watchkeeper.engine.jobs import Job
from watchkeeper.engine.models import EngineProcess, PeriodicJob
from watchkeeper.engine.registry import JOBS

pytestmark = pytest.mark.django_db


def test_first_cycle_runs_every_job_then_waits_for_due_time() -> None:
    assert loop.run_cycle() == len(JOBS)
    assert loop.run_cycle() == 0
    clock.advance(dt.timedelta(minutes=15))
    due = [job.name for job in JOBS if job.every <= dt.timedelta(minutes=15)]
    assert loop.run_cycle() == len(due)  # the jobs due every 15 minutes or more often
    assert PeriodicJob.objects.get(name="accounts.prune_login_failures").runs == 2


def test_a_second_engine_does_not_rerun_a_claimed_job() -> None:
    job = JOBS[0]
    assert loop.run_job(job) is True
    assert loop.run_job(job) is False  # what another engine would see


def test_due_time_survives_a_restart() -> None:
    clock.freeze(dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC))
    loop.run_cycle()
    due = PeriodicJob.objects.get(name=JOBS[0].name).next_due_at
    assert due == clock.now() + JOBS[0].every  # stored, not in memory


def test_prune_login_failures_forgets_old_ones() -> None:
    UserFactory(email="a@example.com")
    login_failure_record(email="a@example.com", ip="10.0.0.1")
    clock.advance(dt.timedelta(hours=1))
    login_failure_record(email="a@example.com", ip="10.0.0.1")
    loop.run_cycle()
    assert LoginFailure.objects.count() == 1


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> str:
        raise ValueError("disk on fire")

    monkeypatch.setattr(loop, "JOBS", (Job("test.boom", dt.timedelta(minutes=1), boom), *JOBS))
    assert loop.run_cycle() == len(JOBS) + 1
    failed = PeriodicJob.objects.get(name="test.boom")
    assert failed.failures == 1
    assert "disk on fire" in failed.last_error
    assert PeriodicJob.objects.exclude(name="test.boom").filter(runs=1).count() == len(JOBS)


@pytest.mark.django_db(transaction=True)  # the loop closes connections between cycles
def test_run_forever_heartbeats_and_stops_cleanly(settings: pytest.FixtureRequest) -> None:
    settings.ENGINE_INTERVAL_SECONDS = 0.01  # type: ignore[attr-defined]
    stop = threading.Event()
    original = loop.run_cycle
    cycles = 0

    def counting(process: EngineProcess | None = None) -> int:
        nonlocal cycles
        cycles += 1
        if cycles >= 3:
            stop.set()
        return original(process)

    loop.run_cycle = counting  # type: ignore[assignment]
    try:
        loop.run_forever(stop)
    finally:
        loop.run_cycle = original  # type: ignore[assignment]
    process = EngineProcess.objects.get()
    assert process.cycles == 3
    assert process.stopped_at is not None


def test_heartbeat_is_written_at_most_once_a_second_and_counts_every_cycle() -> None:
    clock.freeze(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))
    process = loop.register_process()
    loop.run_cycle(process)
    loop.run_cycle(process)  # the same second: counted in memory, not written
    stored = EngineProcess.objects.get(pk=process.pk)
    assert stored.cycles == 1
    clock.advance(dt.timedelta(seconds=1))
    loop.run_cycle(process)
    stored.refresh_from_db()
    assert stored.cycles == 3
    assert stored.last_cycle_at == clock.now()
