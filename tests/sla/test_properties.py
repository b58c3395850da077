"""Property tests: business time is additive, add and between agree, due times grow with the
target, and pausing never adds a breach."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sla.test_businesstime import BERLIN_24X7, HOLIDAYS, NIGHTS, NY, SPLIT, STD
from watchkeeper.sla.businesstime import business_add, business_between
from watchkeeper.sla.clocks import Event, Targets, resolution_clock

BASE = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)  # spans the spring-forward and Christmas/New Year
calendars = st.sampled_from([STD, SPLIT, HOLIDAYS, NIGHTS, NY, BERLIN_24X7])
instants = st.integers(min_value=0, max_value=300 * 24 * 60).map(lambda m: BASE + dt.timedelta(minutes=m))
durations = st.integers(min_value=0, max_value=10 * 24 * 60).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations, durations)
def test_business_time_is_additive_over_adjacent_intervals(cal, start, first, second) -> None:  # type: ignore[no-untyped-def]
    middle, end = start + first, start + first + second
    assert business_between(cal, start, middle) + business_between(cal, middle, end) == business_between(
        cal, start, end
    )


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations)
def test_adding_then_measuring_gives_the_duration_back(cal, start, duration) -> None:  # type: ignore[no-untyped-def]
    due = business_add(cal, start, duration)
    assert due is not None and due >= start
    assert business_between(cal, start, due) == duration


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations, durations)
def test_due_times_grow_with_the_target(cal, start, smaller, extra) -> None:  # type: ignore[no-untyped-def]
    early, late = business_add(cal, start, smaller), business_add(cal, start, smaller + extra)
    assert early is not None and late is not None and early <= late


pauses = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20 * 24 * 60), st.integers(min_value=1, max_value=3 * 24 * 60)
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(calendars, durations.filter(bool), pauses, st.integers(min_value=0, max_value=30 * 24 * 60))
def test_pausing_never_adds_a_breach(cal, target, waits, now_offset) -> None:  # type: ignore[no-untyped-def]
    opened = BASE
    events = [Event(at=opened + dt.timedelta(minutes=1), status="acknowledged")]
    for offset, length in sorted(waits):
        begin = opened + dt.timedelta(minutes=2 + offset)
        events += [
            Event(at=begin, status="waiting_client"),
            Event(at=begin + dt.timedelta(minutes=length), status="acknowledged"),
        ]
    targets = Targets(response=target, update=None, resolution=target, calendar=cal)
    now = opened + dt.timedelta(minutes=now_offset)
    unpaused = resolution_clock(opened, events[:1], targets, now)
    paused = resolution_clock(opened, events, targets, now)
    if paused.breaches:
        assert unpaused.breaches and unpaused.breaches[0].breached_at <= paused.breaches[0].breached_at
