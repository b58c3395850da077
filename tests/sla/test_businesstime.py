"""Business time, hand-checked: weekends, holidays, DST, several intervals a day, pauses, zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from watchkeeper.sla.businesstime import ALWAYS, Calendar, business_add, business_between

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_17 = {day: ((9 * 60, 17 * 60),) for day in range(5)}
STD = Calendar(zone=BERLIN, weekly=WEEKDAYS_9_17)
SPLIT = Calendar(
    zone=BERLIN,
    weekly={**{day: ((8 * 60, 12 * 60), (13 * 60, 17 * 60)) for day in range(5)}, 5: ((9 * 60, 12 * 60),)},
)
HOLIDAYS = Calendar(
    zone=BERLIN,
    weekly=WEEKDAYS_9_17,
    closed=frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 25), dt.date(2027, 1, 1)}),
)
NIGHTS = Calendar(zone=BERLIN, weekly={6: ((0, 6 * 60),)})  # Sundays 00:00–06:00 only
NY = Calendar(zone=NEW_YORK, weekly=WEEKDAYS_9_17)
UTC_24X7 = Calendar(zone=ZoneInfo("UTC"), always_open=True)
BERLIN_24X7 = Calendar(zone=BERLIN, always_open=True)
CLOSED = Calendar(zone=BERLIN, weekly={})


def at(text: str, zone: ZoneInfo = BERLIN) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


# (case, calendar, start local, minutes, due local). 2026-11-27 is a Friday, 2026-11-30 a Monday.
ADD_CASES = [
    ("within a day", STD, "2026-11-30 10:00", 60, "2026-11-30 11:00"),
    ("ends exactly at closing", STD, "2026-11-30 10:00", 420, "2026-11-30 17:00"),
    ("overnight", STD, "2026-11-30 10:00", 480, "2026-12-01 10:00"),
    ("the brief's Friday case", STD, "2026-11-27 16:30", 240, "2026-11-30 12:30"),
    ("75 % of the Friday case", STD, "2026-11-27 16:30", 180, "2026-11-30 11:30"),
    ("opened on Saturday", STD, "2026-11-28 11:00", 60, "2026-11-30 10:00"),
    ("Sunday night", STD, "2026-11-29 23:00", 1, "2026-11-30 09:01"),
    ("before opening", STD, "2026-11-30 08:00", 30, "2026-11-30 09:30"),
    ("after closing", STD, "2026-11-30 17:30", 30, "2026-12-01 09:30"),
    ("Friday's last minute", STD, "2026-11-27 16:59", 2, "2026-11-30 09:01"),
    ("a whole business week", STD, "2026-11-30 09:00", 2400, "2026-12-04 17:00"),
    ("a week and a minute", STD, "2026-11-30 09:00", 2401, "2026-12-07 09:01"),
    ("zero duration", STD, "2026-11-30 10:00", 0, "2026-11-30 10:00"),
    ("weekend over spring-forward", STD, "2026-03-27 16:00", 120, "2026-03-30 10:00"),
    ("weekend over fall-back", STD, "2026-10-23 16:00", 120, "2026-10-26 10:00"),
    ("lunch break skipped", SPLIT, "2026-11-30 11:30", 60, "2026-11-30 13:30"),
    ("opened during lunch", SPLIT, "2026-11-30 12:15", 30, "2026-11-30 13:30"),
    ("Saturday morning hours", SPLIT, "2026-11-27 16:00", 120, "2026-11-28 10:00"),
    ("Saturday to Monday", SPLIT, "2026-11-28 11:00", 120, "2026-11-30 09:00"),
    ("Christmas closure", HOLIDAYS, "2026-12-23 16:00", 120, "2026-12-28 10:00"),
    ("New Year then weekend", HOLIDAYS, "2026-12-31 16:30", 60, "2027-01-04 09:30"),
    ("New York hours", NY, "2026-11-27 16:30", 240, "2026-11-30 12:30"),
]


@pytest.mark.parametrize(
    ("case", "calendar", "start", "minutes", "due"), ADD_CASES, ids=[c[0] for c in ADD_CASES]
)
def test_business_add(case: str, calendar: Calendar, start: str, minutes: int, due: str) -> None:
    zone = calendar.zone
    assert business_add(calendar, at(start, zone), dt.timedelta(minutes=minutes)) == at(due, zone)


# (case, calendar, start local, end local, business minutes)
BETWEEN_CASES = [
    ("a whole day from before to after", SPLIT, "2026-11-30 07:00", "2026-11-30 18:00", 480),
    ("across lunch", SPLIT, "2026-11-30 11:00", "2026-11-30 14:00", 120),
    ("over Christmas", HOLIDAYS, "2026-12-23 09:00", "2026-12-28 17:00", 960),
    ("spring-forward weekend", STD, "2026-03-27 09:00", "2026-03-30 17:00", 960),
    ("the short night of spring-forward", NIGHTS, "2026-03-28 12:00", "2026-03-29 12:00", 300),
    ("the long night of fall-back", NIGHTS, "2026-10-24 12:00", "2026-10-25 12:00", 420),
    ("end before start", STD, "2026-11-30 12:00", "2026-11-30 10:00", 0),
    ("a weekend only", STD, "2026-11-28 00:00", "2026-11-30 00:00", 0),
    ("24×7 over a weekend", UTC_24X7, "2026-11-27 12:00", "2026-11-30 12:00", 72 * 60),
    ("24×7 over the 23-hour day", BERLIN_24X7, "2026-03-28 12:00", "2026-03-29 12:00", 23 * 60),
    ("24×7 over the 25-hour day", BERLIN_24X7, "2026-10-24 12:00", "2026-10-25 12:00", 25 * 60),
]


@pytest.mark.parametrize(
    ("case", "calendar", "start", "end", "minutes"), BETWEEN_CASES, ids=[c[0] for c in BETWEEN_CASES]
)
def test_business_between(case: str, calendar: Calendar, start: str, end: str, minutes: int) -> None:
    zone = calendar.zone
    assert business_between(calendar, at(start, zone), at(end, zone)) == dt.timedelta(minutes=minutes)


def test_24x7_adds_elapsed_time_across_spring_forward() -> None:
    # 12:00 CET + 24 h is 13:00 CEST: the day has only 23 hours.
    assert business_add(BERLIN_24X7, at("2026-03-28 12:00"), dt.timedelta(hours=24)) == at("2026-03-29 13:00")
    assert business_add(ALWAYS, at("2026-10-24 12:00"), dt.timedelta(hours=24)) == at("2026-10-25 11:00")


def test_a_pause_within_hours_moves_the_due_time() -> None:
    pauses = [(at("2026-11-30 10:00"), at("2026-11-30 11:00"))]
    assert business_add(STD, at("2026-11-30 09:00"), dt.timedelta(hours=4), pauses) == at("2026-11-30 14:00")


def test_a_pause_over_the_weekend() -> None:
    pauses = [(at("2026-11-27 16:30"), at("2026-11-30 10:00"))]
    assert business_add(STD, at("2026-11-27 16:00"), dt.timedelta(hours=2), pauses) == at("2026-11-30 11:30")


def test_an_open_ended_pause_never_reaches_the_due_time() -> None:
    pauses = [(at("2026-11-30 10:00"), None)]
    assert business_add(STD, at("2026-11-30 09:00"), dt.timedelta(hours=4), pauses) is None
    assert business_add(STD, at("2026-11-30 09:00"), dt.timedelta(minutes=30), pauses) == at(
        "2026-11-30 09:30"
    )


def test_overlapping_pauses_count_once() -> None:
    pauses = [
        (at("2026-11-30 10:00"), at("2026-11-30 11:00")),
        (at("2026-11-30 10:30"), at("2026-11-30 11:30")),
    ]
    assert business_add(STD, at("2026-11-30 09:00"), dt.timedelta(hours=2), pauses) == at("2026-11-30 12:30")


def test_a_pause_outside_hours_changes_nothing() -> None:
    pauses = [(at("2026-11-30 18:00"), at("2026-11-30 20:00"))]
    elapsed = business_between(STD, at("2026-11-30 09:00"), at("2026-11-30 17:00"), pauses)
    assert elapsed == dt.timedelta(hours=8)


def test_a_calendar_without_hours_never_reaches_a_due_time() -> None:
    assert business_add(CLOSED, at("2026-11-30 09:00"), dt.timedelta(minutes=1)) is None


def test_invalid_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        Calendar(weekly={0: ((9 * 60, 12 * 60), (11 * 60, 13 * 60))})
    with pytest.raises(ValueError, match="within a day"):
        Calendar(weekly={0: ((17 * 60, 9 * 60),)})
