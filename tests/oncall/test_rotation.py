"""The pure rotation arithmetic: property tests across DST in several zones, and examples."""

# Layer anchors are naive local wall-clock times by design.
# ruff: noqa: DTZ001

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.oncall.rotation import (
    LayerSpec,
    OverrideSpec,
    Window,
    final_shifts,
    gaps,
    layer_shifts,
    localize,
)

UTC = dt.UTC
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = dt.datetime(2027, 1, 1, tzinfo=UTC)

layers = st.builds(
    LayerSpec,
    participants=st.lists(st.sampled_from("abcdef"), min_size=1, max_size=5).map(tuple),
    anchor=st.datetimes(min_value=dt.datetime(2025, 6, 1), max_value=dt.datetime(2025, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
    time_zone=st.sampled_from(ZONES),
    length=st.integers(min_value=1, max_value=3),
    unit=st.sampled_from(["hours", "days", "weeks"]),
)


@settings(max_examples=60, deadline=None)
@given(spec=layers)
def test_an_unrestricted_layer_covers_the_year_without_gaps_or_overlaps(spec: LayerSpec) -> None:
    shifts = layer_shifts(spec, YEAR_START, YEAR_END)
    assert shifts[0].start == YEAR_START and shifts[-1].end == YEAR_END
    for before, after in itertools.pairwise(shifts):
        assert before.end == after.start  # no gap, no overlap
        assert before.start < before.end


@settings(max_examples=60, deadline=None)
@given(spec=layers)
def test_handoffs_happen_at_the_local_wall_clock_time(spec: LayerSpec) -> None:
    zone = ZoneInfo(spec.time_zone)
    for shift in layer_shifts(spec, YEAR_START, YEAR_END)[1:]:
        local = shift.start.astimezone(zone)
        wall = (local.hour, local.minute)
        expected = (spec.anchor.hour, spec.anchor.minute)
        if spec.unit == "hours":
            # Whole hours from the anchor in wall-clock time, whatever the offset did.
            assert local.minute == spec.anchor.minute or _in_gap(spec, zone, shift.start)
        elif wall != expected:
            # Only when the hand-off time does not exist that day (the spring gap).
            assert _in_gap(spec, zone, shift.start), (shift, local)


def _in_gap(spec: LayerSpec, zone: ZoneInfo, at: dt.datetime) -> bool:
    local = at.astimezone(zone)
    naive = dt.datetime.combine(local.date(), spec.anchor.time())
    return localize(naive, zone).astimezone(zone).replace(tzinfo=None) != naive or spec.unit == "hours"


@settings(max_examples=60, deadline=None)
@given(spec=layers, at=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)))
def test_each_instant_has_the_participant_of_its_rotation_index(spec: LayerSpec, at: dt.datetime) -> None:
    instant = at.replace(tzinfo=UTC)
    zone = ZoneInfo(spec.time_zone)
    step = {"hours": dt.timedelta(hours=1), "days": dt.timedelta(days=1), "weeks": dt.timedelta(weeks=1)}
    # Independent reference: walk the wall-clock hand-offs from the anchor.
    k, size = 0, step[spec.unit] * spec.length
    while localize(spec.anchor + size * (k + 1), zone) <= instant:
        k += 1
    (shift,) = [s for s in layer_shifts(spec, instant, instant + dt.timedelta(seconds=1))]
    assert shift.user == spec.participants[k % len(spec.participants)]


@settings(max_examples=30, deadline=None)
@given(
    base=layers,
    top=layers,
    start_hour=st.integers(0, 23),
    hours=st.integers(1, 23),
    override_at=st.datetimes(min_value=dt.datetime(2026, 2, 15), max_value=dt.datetime(2026, 5, 1)),
)
def test_the_final_schedule_never_overlaps_and_restrictions_leave_gaps_only_outside(
    base: LayerSpec, top: LayerSpec, start_hour: int, hours: int, override_at: dt.datetime
) -> None:
    window = Window(start=dt.time(start_hour), end=dt.time((start_hour + hours) % 24))
    restricted = LayerSpec(
        **{**top.__dict__, "restriction": "daily", "windows": (window,), "priority": 1, "key": "top"}
    )
    begin = override_at.replace(tzinfo=UTC)
    override = OverrideSpec(user="z", start=begin, end=begin + dt.timedelta(hours=30), key="override")
    # A quarter around the northern spring change and the southern autumn change.
    lo, hi = _utc(2026, 2, 15), _utc(2026, 5, 15)
    shifts = final_shifts([base, restricted], [override], lo, hi)
    for before, after in itertools.pairwise(shifts):
        assert before.end <= after.start
        assert before.end < after.start or before.user != after.user  # merged
    assert not gaps(shifts, lo, hi)  # the base layer covers everything
    zone = ZoneInfo(restricted.time_zone)
    for shift in shifts:
        if shift.sources == (restricted.key,) and shift.user not in base.participants:
            local = shift.start.astimezone(zone)
            assert _inside_daily(window, local), (shift, local)
    covering = [s for s in shifts if s.start <= begin + dt.timedelta(hours=1) < s.end]
    assert [s.user for s in covering] == ["z"]


def _inside_daily(window: Window, local: dt.datetime) -> bool:
    t = local.time()
    if window.start < window.end:
        return window.start <= t < window.end
    return t >= window.start or t < window.end


# --- examples ---------------------------------------------------------------------------------


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_weekly_london_rotation_keeps_monday_nine_across_the_spring_change() -> None:
    spec = LayerSpec(("ann", "bob"), dt.datetime(2026, 3, 23, 9), "Europe/London")
    shifts = layer_shifts(spec, _utc(2026, 3, 23, 9), _utc(2026, 4, 13, 8))
    # 29 March 2026: clocks go forward; the Monday 9:00 hand-off moves from 09:00 to 08:00 UTC.
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("ann", _utc(2026, 3, 23, 9), _utc(2026, 3, 30, 8)),
        ("bob", _utc(2026, 3, 30, 8), _utc(2026, 4, 6, 8)),
        ("ann", _utc(2026, 4, 6, 8), _utc(2026, 4, 13, 8)),
    ]


def test_a_handoff_in_the_spring_gap_happens_one_hour_later_on_the_clock() -> None:
    # New York, 8 March 2026: 02:00 → 03:00. A 02:30 hand-off is read with the old offset.
    spec = LayerSpec(("ann", "bob"), dt.datetime(2026, 3, 7, 2, 30), "America/New_York", unit="days")
    shifts = layer_shifts(spec, _utc(2026, 3, 7, 7, 30), _utc(2026, 3, 9, 6, 30))
    assert [s.start for s in shifts] == [_utc(2026, 3, 7, 7, 30), _utc(2026, 3, 8, 7, 30)]
    assert shifts[-1].end == _utc(2026, 3, 9, 6, 30)


def test_weekly_restriction_business_hours() -> None:
    spec = LayerSpec(
        ("ann",), dt.datetime(2026, 1, 5), "UTC", restriction="weekly",
        windows=(Window(start=dt.time(9), end=dt.time(17), start_day=1, end_day=5),),
    )  # fmt: skip
    shifts = layer_shifts(spec, _utc(2026, 1, 5), _utc(2026, 1, 12))
    assert [(s.start, s.end) for s in shifts] == [(_utc(2026, 1, 5, 9), _utc(2026, 1, 9, 17))]


def test_daily_restriction_across_midnight() -> None:
    spec = LayerSpec(
        ("ann", "bob"), dt.datetime(2026, 1, 5), "UTC", unit="days", restriction="daily",
        windows=(Window(start=dt.time(22), end=dt.time(6)),),
    )  # fmt: skip
    shifts = layer_shifts(spec, _utc(2026, 1, 5), _utc(2026, 1, 7))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("ann", _utc(2026, 1, 5), _utc(2026, 1, 5, 6)),  # the window that began the evening before
        ("ann", _utc(2026, 1, 5, 22), _utc(2026, 1, 6)),
        ("bob", _utc(2026, 1, 6), _utc(2026, 1, 6, 6)),
        ("bob", _utc(2026, 1, 6, 22), _utc(2026, 1, 7)),
    ]


def test_overrides_replace_only_whom_they_cover() -> None:
    base = LayerSpec(("ann", "bob"), dt.datetime(2026, 1, 5), "UTC", unit="days")
    cover_bob = OverrideSpec(user="cat", start=_utc(2026, 1, 5, 12), end=_utc(2026, 1, 6, 12), replaces="bob")
    shifts = final_shifts([base], [cover_bob], _utc(2026, 1, 5), _utc(2026, 1, 7))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("ann", _utc(2026, 1, 5), _utc(2026, 1, 6)),
        ("cat", _utc(2026, 1, 6), _utc(2026, 1, 6, 12)),
        ("bob", _utc(2026, 1, 6, 12), _utc(2026, 1, 7)),
    ]


def test_higher_layer_wins_and_gaps_are_reported() -> None:
    low = LayerSpec(("ann",), dt.datetime(2026, 1, 5), "UTC", restriction="daily",
                    windows=(Window(start=dt.time(8), end=dt.time(20)),))  # fmt: skip
    high = LayerSpec(("bob",), dt.datetime(2026, 1, 5), "UTC", priority=1, restriction="daily",
                     windows=(Window(start=dt.time(12), end=dt.time(13)),))  # fmt: skip
    shifts = final_shifts([low, high], [], _utc(2026, 1, 5), _utc(2026, 1, 6))
    assert [(s.user, s.start.hour, s.end.hour) for s in shifts] == [
        ("ann", 8, 12),
        ("bob", 12, 13),
        ("ann", 13, 20),
    ]
    assert gaps(shifts, _utc(2026, 1, 5), _utc(2026, 1, 6)) == [
        (_utc(2026, 1, 5), _utc(2026, 1, 5, 8)),
        (_utc(2026, 1, 5, 20), _utc(2026, 1, 6)),
    ]


def test_before_the_rotation_starts_nobody_is_on_call() -> None:
    spec = LayerSpec(("ann",), dt.datetime(2026, 1, 5, 9), "UTC")
    assert layer_shifts(spec, _utc(2026, 1, 1), _utc(2026, 1, 5, 9)) == []


@pytest.mark.parametrize("bad", [{"unit": "months"}, {"length": 0}, {"time_zone": "Mars/Olympus"}])
def test_bad_specs_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(Exception):  # noqa: B017 - ValueError or ZoneInfoNotFoundError
        LayerSpec(**{"participants": ("a",), "anchor": dt.datetime(2026, 1, 1), "time_zone": "UTC", **bad})  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    base=layers,
    top=layers,
    hours=st.integers(1, 23),
    covers=st.lists(
        st.tuples(
            st.integers(0, 24 * 50),
            st.integers(1, 72),
            st.sampled_from("abcdefz"),
            st.sampled_from([None, "a", "b"]),
        ),
        max_size=4,
    ),
    probes=st.lists(st.integers(0, 60 * 24 * 59), min_size=1, max_size=20),
)
def test_the_final_schedule_agrees_with_a_per_instant_reference(
    base: LayerSpec, top: LayerSpec, hours: int, covers: list[Any], probes: list[int]
) -> None:
    lo = _utc(2026, 3, 1)
    window = Window(start=dt.time(8), end=dt.time((8 + hours) % 24))
    high = LayerSpec(**{**top.__dict__, "restriction": "daily", "windows": (window,), "priority": 1})
    overrides = [
        OverrideSpec(
            user=who, start=lo + dt.timedelta(hours=h), end=lo + dt.timedelta(hours=h + n), replaces=whom
        )
        for h, n, who, whom in covers
    ]
    final = final_shifts([base, high], overrides, lo, lo + dt.timedelta(days=60))
    for minutes in probes:
        at = lo + dt.timedelta(minutes=minutes)
        expected = None
        for spec in (high, base):  # highest priority first
            (hit,) = layer_shifts(spec, at, at + dt.timedelta(seconds=1)) or (None,)
            if hit is not None:
                expected = hit.user
                break
        for o in overrides:  # later overrides win
            if o.start <= at < o.end and (o.replaces is None or o.replaces == expected):
                expected = o.user
        assert [s.user for s in final if s.contains(at)] == ([expected] if expected else []), at
