"""Timers: set, reschedule, claim under a lease, fenced completion, retries and the reaper."""

from __future__ import annotations

import datetime as dt

import pytest

from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.core.timers import timer_cancel, timer_set
from watchkeeper.engine import timers as engine_timers
from watchkeeper.engine.timers import Handler, timers_claim
from watchkeeper.engine.timers import timers_run_due as _run_due

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    clock.freeze(T0)
    yield
    clock.reset()


@pytest.fixture
def recorder():
    calls: list[tuple[str, dt.datetime]] = []

    def handler(timer: Timer, now: dt.datetime) -> None:
        calls.append((timer.key, now))
        if timer.payload.get("fail"):
            raise RuntimeError("boom")

    HANDLERS["test.kind"] = handler
    yield calls
    HANDLERS.clear()


# The handlers these tests run with (the engine runs with the registry's table).
HANDLERS: dict[str, Handler] = {}


def timers_run_due() -> int:
    return _run_due(handlers=HANDLERS)


def test_a_timer_runs_when_due_and_not_before(frozen, recorder):
    timer_set(kind="test.kind", key="a", due_at=T0 + dt.timedelta(minutes=5))
    assert timers_run_due() == 0
    clock.advance(dt.timedelta(minutes=5))
    assert timers_run_due() == 1
    assert recorder == [("a", T0 + dt.timedelta(minutes=5))]
    assert Timer.objects.get(key="a").state == TimerState.DONE
    assert timers_run_due() == 0


def test_setting_again_reschedules_one_row(frozen, recorder):
    timer_set(kind="test.kind", key="a", due_at=T0 + dt.timedelta(minutes=5))
    timer_set(kind="test.kind", key="a", due_at=T0 + dt.timedelta(minutes=1))
    assert Timer.objects.count() == 1
    clock.advance(dt.timedelta(minutes=1))
    assert timers_run_due() == 1


def test_cancel_drops_a_pending_timer(frozen, recorder):
    timer_set(kind="test.kind", key="a", due_at=T0)
    assert timer_cancel(kind="test.kind", key="a") == 1
    assert timers_run_due() == 0
    assert recorder == []


def test_a_change_while_running_is_not_lost(frozen, recorder):
    """Fencing: the timer is set again after the claim; completing the old version keeps it pending."""
    timer_set(kind="test.kind", key="a", due_at=T0)
    (claimed,) = timers_claim(now=T0)
    timer_set(kind="test.kind", key="a", due_at=T0)
    engine_timers.timer_run(claimed, now=T0, handler=HANDLERS["test.kind"])
    assert Timer.objects.get(key="a").state == TimerState.PENDING
    assert timers_run_due() == 1
    assert len(recorder) == 2


def test_a_failing_handler_is_retried_with_backoff_then_parked(frozen, recorder):
    timer_set(kind="test.kind", key="f", due_at=T0, payload={"fail": True})
    for _ in range(engine_timers.MAX_ATTEMPTS):
        timers_run_due()
        clock.advance(dt.timedelta(minutes=10))
    timer = Timer.objects.get(key="f")
    assert timer.state == TimerState.FAILED
    assert timer.attempts == engine_timers.MAX_ATTEMPTS
    assert "boom" in timer.last_error


def test_an_expired_lease_is_reclaimed(frozen, recorder):
    """A worker that died holding a lease: after the lease runs out another claims it."""
    timer_set(kind="test.kind", key="a", due_at=T0)
    assert len(timers_claim(now=T0)) == 1  # claimed, never run (the worker "crashed")
    assert timers_claim(now=T0 + dt.timedelta(seconds=30)) == []
    clock.advance(engine_timers.LEASE + dt.timedelta(seconds=1))
    assert timers_run_due() == 1
    assert recorder and recorder[0][0] == "a"


def test_an_unknown_kind_is_parked_with_a_reason(frozen):
    timer_set(kind="nobody.handles", key="x", due_at=T0)
    timers_run_due()
    timer = Timer.objects.get(key="x")
    assert timer.state == TimerState.FAILED
    assert "no handler" in timer.last_error
