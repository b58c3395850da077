"""Business time, pure (no database): open intervals of a calendar, adding business durations to
an instant and measuring business time between instants, with pauses.

All instants are timezone-aware; weekly hours are wall-clock times in the calendar's zone, so a
09:00–17:00 day stays 09:00–17:00 local across DST changes (its length in UTC may differ only
when a transition falls inside the interval).

Invariants:
- `business_between(c, a, b) + business_between(c, b, d) == business_between(c, a, d)` for a ≤ b ≤ d.
- `business_between(c, s, business_add(c, s, d)) == d` whenever the result exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.datetime, dt.datetime]
# A pause may be open-ended (None: still paused).
Pause = tuple[dt.datetime, dt.datetime | None]

DAY_MINUTES = 24 * 60
# How far ahead `business_add` looks before giving up (a calendar with no hours never reaches a due time).
MAX_DAYS = 3 * 366
FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC) - dt.timedelta(days=2)


@dataclass(frozen=True)
class Calendar:
    """Weekly hours per weekday (0 = Monday) as (start, end) minutes of the local day, end up
    to 1440 (midnight); closed dates (public holidays, closures) in the calendar's zone.
    `always_open` is 24×7: every instant counts."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    weekly: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    closed: frozenset[dt.date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        for day, spans in self.weekly.items():
            if not 0 <= day <= 6:
                raise ValueError(f"weekday {day} is not 0 (Monday) … 6 (Sunday)")
            previous_end = -1
            for start, end in sorted(spans):
                if not 0 <= start < end <= DAY_MINUTES:
                    raise ValueError(f"interval {start}–{end} must lie within a day, start before end")
                if start < previous_end:
                    raise ValueError("intervals of a day must not overlap")
                previous_end = end


ALWAYS = Calendar(always_open=True)


def _local_instant(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall-clock `minute` on `day` (1440 is the next midnight). Wall times in
    a spring-forward gap map forward, as clocks do; in a fall-back overlap, the first one."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    local = midnight + dt.timedelta(minutes=minute)  # wall-clock arithmetic within one zone
    # fold=0 (PEP 495): a gap time takes the offset before the jump, i.e. lands after it.
    return local.astimezone(dt.UTC)


def _day_intervals(calendar: Calendar, day: dt.date) -> Iterator[Interval]:
    if day in calendar.closed:
        return
    for start, end in sorted(calendar.weekly.get(day.weekday(), ())):
        yield _local_instant(day, start, calendar.zone), _local_instant(day, end, calendar.zone)


def open_intervals(
    calendar: Calendar, start: dt.datetime, end: dt.datetime | None = None
) -> Iterator[Interval]:
    """The calendar's open intervals clipped to [start, end) in order, UTC; `end` None: unbounded
    (stops after MAX_DAYS)."""
    start = start.astimezone(dt.UTC)
    stop = FOREVER if end is None else end.astimezone(dt.UTC)
    if start >= stop:
        return
    if calendar.always_open:
        yield start, stop
        return
    day = start.astimezone(calendar.zone).date() - dt.timedelta(days=1)
    last = day + dt.timedelta(days=MAX_DAYS)
    while day <= last:
        for a, b in _day_intervals(calendar, day):
            if b <= start:
                continue
            if a >= stop:
                return
            yield max(a, start), min(b, stop)
        day += dt.timedelta(days=1)


def _merged(pauses: Iterable[Pause]) -> list[Interval]:
    spans = sorted((a.astimezone(dt.UTC), (b or FOREVER).astimezone(dt.UTC)) for a, b in pauses)
    merged: list[Interval] = []
    for a, b in spans:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _subtract(intervals: Iterable[Interval], pauses: Sequence[Interval]) -> Iterator[Interval]:
    """Intervals minus (sorted, merged) pauses; both in time order."""
    index = 0
    for a, b in intervals:
        while index < len(pauses) and pauses[index][1] <= a:
            index += 1
        cursor, probe = a, index
        while probe < len(pauses) and pauses[probe][0] < b:
            pa, pb = pauses[probe]
            if pa > cursor:
                yield cursor, pa
            cursor = max(cursor, pb)
            if cursor >= b:
                break
            probe += 1
        if cursor < b:
            yield cursor, b


def counting_intervals(
    calendar: Calendar, start: dt.datetime, end: dt.datetime | None = None, pauses: Iterable[Pause] = ()
) -> Iterator[Interval]:
    """The intervals of [start, end) that count: open hours minus pauses."""
    return _subtract(open_intervals(calendar, start, end), _merged(pauses))


def business_between(
    calendar: Calendar, start: dt.datetime, end: dt.datetime, pauses: Iterable[Pause] = ()
) -> dt.timedelta:
    """Business time from `start` to `end` (zero when end ≤ start), pauses not counted."""
    total = dt.timedelta(0)
    for a, b in counting_intervals(calendar, start, end, pauses):
        total += b - a
    return total


def business_add(
    calendar: Calendar, start: dt.datetime, duration: dt.timedelta, pauses: Iterable[Pause] = ()
) -> dt.datetime | None:
    """The instant at which `duration` of business time after `start` has passed, or None when it
    is never reached (no open hours ahead, or paused without end first)."""
    if duration < dt.timedelta(0):
        raise ValueError("duration must not be negative")
    left = duration
    for a, b in counting_intervals(calendar, start, None, pauses):
        if b - a >= left and b < FOREVER:
            return a + left
        if b >= FOREVER:
            return None if a + left >= FOREVER else a + left
        left -= b - a
    if left == dt.timedelta(0):
        return start.astimezone(dt.UTC)
    return None
