"""Shaping final shifts for people: day rows for the calendar view, gap warnings, iCal feeds.

Pure presentation over selector results; no database access of its own.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import icalendar

from watchkeeper.oncall.selectors import ScheduleShift

PALETTE = 8  # CSS classes person-0 … person-7


@dataclass(frozen=True)
class Segment:
    start: dt.datetime
    end: dt.datetime
    label: str
    css: str
    left: float  # percent of the day
    width: float


@dataclass(frozen=True)
class Day:
    date: dt.date
    segments: list[Segment]


def days(
    shifts: Sequence[ScheduleShift], *, start: dt.date, count: int, zone: zoneinfo.ZoneInfo
) -> list[Day]:
    """One row per local day: the shifts cut at local midnights, placed as % of the day."""
    people: dict[int, int] = {}
    for shift in shifts:
        people.setdefault(shift.user.pk, len(people) % PALETTE)
    out = []
    for i in range(count):
        date = start + dt.timedelta(days=i)
        lo = dt.datetime.combine(date, dt.time(), tzinfo=zone)
        hi = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        length = (hi - lo).total_seconds()
        segments = []
        for shift in shifts:
            a, b = max(shift.start, lo), min(shift.end, hi)
            if a >= b:
                continue
            label = shift.user.full_name or shift.user.email
            segments.append(Segment(
                start=a, end=b, label=label, css=f"person-{people[shift.user.pk]}",
                left=round((a - lo).total_seconds() / length * 100, 3),
                width=round((b - a).total_seconds() / length * 100, 3),
            ))  # fmt: skip
        out.append(Day(date=date, segments=segments))
    return out


def gap_warnings(gaps: Sequence[tuple[dt.datetime, dt.datetime]], zone: zoneinfo.ZoneInfo) -> list[str]:
    """'Nobody is on call Sat 02:00–06:00' lines, in the schedule's time zone."""
    out = []
    for lo, hi in gaps:
        a, b = lo.astimezone(zone), hi.astimezone(zone)
        same_day = a.date() == b.date() or (b - a <= dt.timedelta(days=1) and b.time() == dt.time())
        end = b.strftime("%H:%M") if same_day else b.strftime("%a %d %b %H:%M")
        end = "24:00" if same_day and end == "00:00" else end
        out.append(f"Nobody is on call {a:%a %d %b %H:%M}–{end} {a:%Z}")
    return out


def ical(shifts: Sequence[ScheduleShift], *, name: str, stamp: dt.datetime) -> bytes:
    """An iCalendar feed of the shifts (UTC times; calendar apps show them locally)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Watchkeeper//On-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for shift in shifts:
        event = icalendar.Event()
        event.add(
            "uid", f"oncall-{shift.schedule.pk}-{shift.user.pk}-{int(shift.start.timestamp())}@watchkeeper"
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.schedule.name} ({shift.user.full_name or shift.user.email})")
        cal.add_component(event)
    return cal.to_ical()
