"""Timers: set, reschedule, claim under a lease, fenced completion, retries and the reaper."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection

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
    clock.advance(engine_timers.lease() + dt.timedelta(seconds=1))
    assert timers_run_due() == 1
    assert recorder and recorder[0][0] == "a"


def test_an_unknown_kind_is_parked_with_a_reason(frozen):
    timer_set(kind="nobody.handles", key="x", due_at=T0)
    timers_run_due()
    timer = Timer.objects.get(key="x")
    assert timer.state == TimerState.FAILED
    assert "no handler" in timer.last_error


# --- batched kinds and claims in one statement (ADR 0035) -------------------------------------


@pytest.fixture
def batch_recorder():
    """A batched kind: each call records the keys it got; a timer with payload `fail` raises."""
    calls: list[list[str]] = []

    def run(timers, now: dt.datetime) -> None:
        calls.append([timer.key for timer in timers])
        if any(timer.payload.get("fail") for timer in timers):
            raise RuntimeError("boom")

    HANDLERS["test.batch"] = engine_timers.Batched(run)
    yield calls
    HANDLERS.clear()


def test_a_batched_kind_gets_its_due_timers_in_one_call(
    frozen, batch_recorder, django_assert_max_num_queries
):
    for n in range(30):
        timer_set(kind="test.batch", key=f"k{n}", due_at=T0)
    # The claim, the batch (savepoint) and one completion: not a transaction per timer.
    with django_assert_max_num_queries(8):
        assert timers_run_due() == 30
    assert len(batch_recorder) == 1
    assert sorted(batch_recorder[0]) == sorted(f"k{n}" for n in range(30))
    assert set(Timer.objects.values_list("state", flat=True)) == {TimerState.DONE}


def test_a_batched_timer_set_again_while_running_stays_pending(frozen, batch_recorder):
    timer_set(kind="test.batch", key="a", due_at=T0)
    timer_set(kind="test.batch", key="b", due_at=T0)
    claimed = timers_claim(now=T0)
    timer_set(kind="test.batch", key="a", due_at=T0)  # version moves on while the batch runs
    engine_timers._batch_run(claimed, now=T0, batched=HANDLERS["test.batch"])
    states = dict(Timer.objects.values_list("key", "state"))
    assert states == {"a": TimerState.PENDING, "b": TimerState.DONE}
    assert timers_run_due() == 1


def test_a_failing_batch_runs_its_timers_one_by_one(frozen, batch_recorder):
    for key in ("a", "b", "c"):
        timer_set(kind="test.batch", key=key, due_at=T0, payload={"fail": key == "b"})
    assert timers_run_due() == 3
    states = {timer.key: (timer.state, timer.attempts) for timer in Timer.objects.all()}
    assert states == {"a": (TimerState.DONE, 0), "b": (TimerState.PENDING, 1), "c": (TimerState.DONE, 0)}
    assert "boom" in Timer.objects.get(key="b").last_error
    assert batch_recorder[0] == ["a", "b", "c"]
    assert sorted(batch_recorder[1:]) == [["a"], ["b"], ["c"]]


def test_the_claim_takes_the_oldest_due_first_and_leaves_the_rest(frozen):
    for n in range(5):
        timer_set(kind="test.kind", key=f"k{n}", due_at=T0 - dt.timedelta(minutes=n))
    timer_set(kind="test.kind", key="later", due_at=T0 + dt.timedelta(minutes=1))
    claimed = timers_claim(now=T0, limit=3)
    assert [timer.key for timer in claimed] == ["k4", "k3", "k2"]
    assert all(
        timer.state == TimerState.LEASED and timer.lease_owner == engine_timers.WORKER_ID for timer in claimed
    )
    assert [timer.key for timer in timers_claim(now=T0)] == ["k1", "k0"]
    assert timers_claim(now=T0) == []


def test_timers_past_the_cycle_budget_are_handed_back_unrun(frozen, recorder):
    for n in range(3):
        timer_set(kind="test.kind", key=f"k{n}", due_at=T0)
    assert _run_due(handlers=HANDLERS, budget=0) == 1  # one runs, however long it took
    assert [key for key, _ in recorder] == ["k0"]
    rest = Timer.objects.exclude(key="k0")
    assert {(t.state, t.lease_owner, t.attempts) for t in rest} == {(TimerState.PENDING, "", 0)}
    assert timers_run_due() == 2
    assert [key for key, _ in recorder] == ["k0", "k1", "k2"]


ENGINES = 4
RACED = 1500


@pytest.mark.django_db(transaction=True)
def test_racing_engines_fire_each_timer_exactly_once():
    """Four engines (threads with their own database connections) work off the same due timers
    at once: every timer runs once, none twice, none is left. On PostgreSQL the claims run
    concurrently (SKIP LOCKED); on SQLite its one writer serialises them."""
    ran: list[str] = []
    lock = threading.Lock()

    def run(timers, now: dt.datetime) -> None:
        with lock:
            ran.extend(timer.key for timer in timers)

    def slow(timer: Timer, now: dt.datetime) -> None:
        with lock:
            ran.append(timer.key)

    handlers = {"test.batch": engine_timers.Batched(run), "test.kind": slow}
    now = clock.now()
    Timer.objects.bulk_create(
        [Timer(kind="test.batch", key=f"b{n}", due_at=now) for n in range(RACED)]
        + [Timer(kind="test.kind", key=f"s{n}", due_at=now) for n in range(RACED // 10)]
    )
    start = threading.Barrier(ENGINES)
    errors: list[BaseException] = []

    def engine() -> None:
        try:
            start.wait()
            while _run_due(handlers=handlers, limit=100):
                pass
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=engine) for _ in range(ENGINES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    counts = Counter(ran)
    assert len(counts) == RACED + RACED // 10
    assert [key for key, count in counts.items() if count > 1] == []
    assert Timer.objects.exclude(state=TimerState.DONE).count() == 0


# --- independent watchers batched across each other (ADR 0038) --------------------------------


def test_independent_kinds_form_one_chunk_each_but_never_move_past_a_barrier(frozen):
    """The watchers of new incidents (set together, so they alternate in the claim) form one
    chunk per kind; a timer of any other kind closes the chunks: nothing after it runs before it."""
    order: list[str] = []

    def watcher(name: str) -> engine_timers.Batched:
        return engine_timers.Batched(lambda timers, now: order.append(f"{name}{[t.key for t in timers]}"),
                                     independent=True)  # fmt: skip

    HANDLERS.update({"w.a": watcher("a"), "w.b": watcher("b")})
    HANDLERS["w.step"] = lambda timer, now: order.append(f"step[{timer.key}]")
    try:
        for n, kind in enumerate(["w.a", "w.b", "w.a", "w.b", "w.step", "w.a", "w.b"]):
            timer_set(kind=kind, key=str(n), due_at=T0 + dt.timedelta(seconds=n))
        clock.advance(dt.timedelta(minutes=1))
        assert timers_run_due() == 7
    finally:
        HANDLERS.clear()
    assert order == ["a['0', '2']", "b['1', '3']", "step[4]", "a['5']", "b['6']"]
    assert set(Timer.objects.values_list("state", flat=True)) == {TimerState.DONE}


def test_a_chunk_of_an_independent_kind_is_bounded_by_its_own_size(frozen, monkeypatch):
    sizes: list[int] = []
    HANDLERS["w.a"] = engine_timers.Batched(lambda timers, now: sizes.append(len(timers)), independent=True,
                                            chunk={connection.vendor: 3})  # fmt: skip
    try:
        for n in range(7):
            timer_set(kind="w.a", key=str(n), due_at=T0)
        assert timers_run_due() == 7
    finally:
        HANDLERS.clear()
    assert sizes == [3, 3, 1]


def test_urgent_kinds_are_claimed_and_run_before_older_timers_of_other_kinds(frozen):
    """A storm's SLA clocks, due earlier, do not delay the page of a new incident (ADR 0038)."""
    order: list[str] = []
    HANDLERS["w.sla"] = lambda timer, now: order.append(timer.key)
    HANDLERS["w.page"] = lambda timer, now: order.append(timer.key)
    try:
        for n in range(5):
            timer_set(kind="w.sla", key=f"sla-{n}", due_at=T0 + dt.timedelta(seconds=n))
        timer_set(kind="w.page", key="page-b", due_at=T0 + dt.timedelta(seconds=9))
        timer_set(kind="w.page", key="page-a", due_at=T0 + dt.timedelta(seconds=8))
        clock.advance(dt.timedelta(minutes=1))
        assert _run_due(handlers=HANDLERS, first=("w.page",), limit=4) == 4
        assert order == ["page-a", "page-b", "sla-0", "sla-1"]  # each part oldest due first
        assert _run_due(handlers=HANDLERS, first=("w.page",)) == 3
    finally:
        HANDLERS.clear()
    assert order[4:] == ["sla-2", "sla-3", "sla-4"]
