"""When a review is due: N business days after resolution in the client's business calendar."""

from __future__ import annotations

import datetime as dt

from watchkeeper.sla.businesstime import Calendar, open_intervals
from watchkeeper.sla.calendars import calendar_build, calendar_for_client
from watchkeeper.tenancy.models import Client


def client_calendar(client: Client, around: dt.datetime) -> Calendar:
    """The client's business calendar (its own, else the default; 24×7 without any)."""
    years = range(around.year - 1, around.year + 2)
    return calendar_build(calendar_for_client(client), client=client, years=years)


def business_days_after(calendar: Calendar, start: dt.datetime, days: int) -> dt.datetime:
    """The close of business of the `days`-th business day after the day of `start` (the day of
    `start` itself never counts: a review of an incident resolved at 16:55 gets full days). A
    business day is a date with open hours that is not closed (weekends, holidays, closures).
    A 24×7 calendar: exactly `days` × 24 hours later."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if calendar.always_open:
        return start + dt.timedelta(days=days)
    local_next = dt.datetime.combine(
        start.astimezone(calendar.zone).date() + dt.timedelta(days=1), dt.time(0), tzinfo=calendar.zone
    )
    counted: list[dt.date] = []
    last_end: dt.datetime | None = None
    for begin, end in open_intervals(calendar, local_next):
        day = begin.astimezone(calendar.zone).date()
        if not counted or counted[-1] != day:
            if len(counted) == days:
                break
            counted.append(day)
        last_end = end
    if last_end is None or len(counted) < days:
        # A calendar without open hours ahead: count calendar days rather than never.
        return start + dt.timedelta(days=days)
    return last_end
