"""Who is on call when: pure computation over plain values (no database, no clock).

A layer rotates its participants in order; shift k starts at the local wall-clock time
`anchor + k × length` in the layer's time zone, so hand-offs stay at the same local time
across DST changes (a weekly shift across the spring change is one hour shorter). Local
times that do not exist (the spring gap) or exist twice (the autumn repeat) are read as
RFC 5545 reads them: with the UTC offset in force before the change.

The final schedule: at each instant, the highest layer (largest `priority`) that has someone
on call decides; then overrides apply on top ("X covers Y", or X covers everyone when Y is
None). Results are half-open intervals [start, end) in UTC, merged when the same person
continues, so a "shift" always means an unbroken stretch on call.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.UTC
UNITS = ("hours", "days", "weeks")
RESTRICTIONS = ("none", "daily", "weekly")
_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """A restriction window in local time. Daily windows ignore the days; weekly windows use
    ISO weekdays (1 = Monday). An end at or before the start wraps to the next day (week)."""

    start: dt.time
    end: dt.time
    start_day: int = 1
    end_day: int = 1


@dataclass(frozen=True)
class LayerSpec:
    participants: tuple[Hashable, ...]
    anchor: dt.datetime  # naive local wall-clock time of the first hand-off
    time_zone: str
    length: int = 1
    unit: str = "weeks"
    restriction: str = "none"
    windows: tuple[Window, ...] = ()
    priority: int = 0
    key: Hashable = None

    def __post_init__(self) -> None:
        if self.anchor.tzinfo is not None:
            raise ValueError("anchor is a naive local time")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}")
        if self.length < 1:
            raise ValueError("length must be at least 1")
        if self.restriction not in RESTRICTIONS:
            raise ValueError(f"restriction must be one of {', '.join(RESTRICTIONS)}")
        ZoneInfo(self.time_zone)  # raises for an unknown zone


@dataclass(frozen=True)
class OverrideSpec:
    user: Hashable
    start: dt.datetime
    end: dt.datetime
    replaces: Hashable = None  # None: covers whoever is (or is not) on call
    key: Hashable = None


@dataclass(frozen=True)
class Shift:
    start: dt.datetime
    end: dt.datetime
    user: Hashable
    sources: tuple[Hashable, ...] = field(default=(), compare=False)  # layer/override keys

    def contains(self, at: dt.datetime) -> bool:
        return self.start <= at < self.end


def localize(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Local wall-clock time to UTC, with the offset before a change (fold=0, RFC 5545)."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _step(spec: LayerSpec) -> dt.timedelta:
    per = {"hours": dt.timedelta(hours=1), "days": dt.timedelta(days=1), "weeks": _WEEK}[spec.unit]
    return per * spec.length


def _handoff(spec: LayerSpec, zone: ZoneInfo, k: int) -> dt.datetime:
    # Naive arithmetic is wall-clock arithmetic: local anchor + k steps, then to UTC.
    return localize(spec.anchor + _step(spec) * k, zone)


def _first_index(spec: LayerSpec, zone: ZoneInfo, start: dt.datetime) -> int:
    """The largest k >= 0 whose hand-off is at or before `start` (0 if before the anchor)."""
    origin = _handoff(spec, zone, 0)
    if start <= origin:
        return 0
    k = int((start - origin) / _step(spec))
    # Offsets differ by at most a day; walk to the exact index.
    while k > 0 and _handoff(spec, zone, k) > start:
        k -= 1
    while _handoff(spec, zone, k + 1) <= start:
        k += 1
    return k


def rotation_shifts(spec: LayerSpec, start: dt.datetime, end: dt.datetime) -> Iterator[Shift]:
    """The layer's own shifts (before restrictions) overlapping [start, end), clipped to it."""
    if not spec.participants or start >= end:
        return
    zone = ZoneInfo(spec.time_zone)
    k = _first_index(spec, zone, start)
    begin = _handoff(spec, zone, k)
    while begin < end:
        finish = max(begin, _handoff(spec, zone, k + 1))  # monotone even around odd zone rules
        if finish > start and finish > begin:
            user = spec.participants[k % len(spec.participants)]
            yield Shift(max(begin, start), min(finish, end), user, (spec.key,))
        begin, k = finish, k + 1


def _window_intervals(
    spec: LayerSpec, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The restriction's active intervals in UTC, covering [start, end)."""
    zone = ZoneInfo(spec.time_zone)
    first = start.astimezone(zone).date() - dt.timedelta(days=8)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    out: list[tuple[dt.datetime, dt.datetime]] = []
    day = first
    while day <= last:
        for window in spec.windows:
            interval = _window_on(spec.restriction, window, day)
            if interval is None:
                continue
            lo, hi = localize(interval[0], zone), localize(interval[1], zone)
            if hi > start and lo < end and hi > lo:
                out.append((max(lo, start), min(hi, end)))
        day += dt.timedelta(days=1)
    return _union(out)


def _window_on(kind: str, window: Window, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The window instance that starts on local `day`, as naive local datetimes."""
    if kind == "weekly" and day.isoweekday() != window.start_day:
        return None
    lo = dt.datetime.combine(day, window.start)
    if kind == "daily":
        hi = dt.datetime.combine(day, window.end)
        return lo, hi if hi > lo else hi + dt.timedelta(days=1)
    days = (window.end_day - window.start_day) % 7
    hi = dt.datetime.combine(day + dt.timedelta(days=days), window.end)
    return lo, hi if hi > lo else hi + _WEEK


def _union(intervals: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def layer_shifts(spec: LayerSpec, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The layer's shifts in [start, end) after its restriction (if any)."""
    shifts = list(rotation_shifts(spec, start, end))
    if spec.restriction == "none":
        return shifts
    windows = _window_intervals(spec, start, end)
    out = []
    for shift in shifts:
        for lo, hi in windows:
            if lo < shift.end and hi > shift.start:
                out.append(Shift(max(lo, shift.start), min(hi, shift.end), shift.user, shift.sources))
    return out


def _check_range(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")


class _Cursor:
    """Walks one layer's sorted, non-overlapping shifts as the sweep moves forward."""

    def __init__(self, shifts: list[Shift]) -> None:
        self.shifts, self.i = shifts, 0

    def at(self, lo: dt.datetime) -> Shift | None:
        while self.i < len(self.shifts) and self.shifts[self.i].end <= lo:
            self.i += 1
        if self.i < len(self.shifts) and self.shifts[self.i].start <= lo:
            return self.shifts[self.i]
        return None


def final_shifts(
    layers: Sequence[LayerSpec],
    overrides: Sequence[OverrideSpec],
    start: dt.datetime,
    end: dt.datetime,
) -> list[Shift]:
    """The final schedule in [start, end): layers by priority (the earlier layer of equals
    wins), then overrides (later ones in the sequence win where they overlap). Sorted,
    non-overlapping, merged."""
    _check_range(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    ranked = sorted(enumerate(layers), key=lambda item: (-item[1].priority, item[0]))
    per_layer = [layer_shifts(spec, start, end) for _, spec in ranked]
    clipped = [o for o in overrides if o.end > start and o.start < end and o.end > o.start]
    bounds = {start, end}
    for shifts in per_layer:
        bounds.update(b for shift in shifts for b in (shift.start, shift.end))
    for o in clipped:
        bounds |= {max(o.start, start), min(o.end, end)}
    ordered = sorted(b for b in bounds if start <= b <= end)
    cursors = [_Cursor(shifts) for shifts in per_layer]
    out: list[Shift] = []
    for lo, hi in itertools.pairwise(ordered):
        chosen = None
        for cursor in cursors:
            chosen = cursor.at(lo)
            if chosen is not None:
                break
        user, sources = (chosen.user, chosen.sources) if chosen else (None, ())
        for o in clipped:
            if o.start <= lo and o.end >= hi and (o.replaces is None or o.replaces == user):
                user, sources = o.user, (o.key,)
        if user is not None:
            _append(out, Shift(lo, hi, user, sources))
    return out


def _append(out: list[Shift], shift: Shift) -> None:
    if out and out[-1].user == shift.user and out[-1].end == shift.start:
        last = out[-1]
        sources = last.sources + tuple(s for s in shift.sources if s not in last.sources)
        out[-1] = Shift(last.start, shift.end, last.user, sources)
    else:
        out.append(shift)


def gaps(
    shifts: Iterable[Shift], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The stretches of [start, end) when nobody is on call."""
    out = []
    cursor = start
    for shift in sorted(shifts, key=lambda s: s.start):
        if shift.start > cursor:
            out.append((cursor, min(shift.start, end)))
        cursor = max(cursor, shift.end)
    if cursor < end:
        out.append((cursor, end))
    return [(lo, hi) for lo, hi in out if hi > lo]


def handoffs(shifts: Iterable[Shift]) -> list[dt.datetime]:
    """Every instant at which who is on call changes, in order."""
    return sorted({s.start for s in shifts} | {s.end for s in shifts})
