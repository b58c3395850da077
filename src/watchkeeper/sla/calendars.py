"""From stored calendars to `businesstime.Calendar`: hours parsing and validation, public holidays
(the `holidays` package), closure days, and iCal import of closures."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from functools import lru_cache
from typing import Any

import holidays
import icalendar

from watchkeeper.core.errors import InvalidInput
from watchkeeper.sla.businesstime import ALWAYS, DAY_MINUTES, Calendar
from watchkeeper.sla.models import WEEKDAYS, BusinessCalendar, ClientCalendar
from watchkeeper.tenancy.models import Client

MAX_ICAL_BYTES = 1_000_000
MAX_ICAL_DAYS = 1000


def _minutes(text: Any, field: str) -> int:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise InvalidInput(f"{field}: times are HH:MM (got {text!r}).", field="hours")
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(minutes) > 59 or int(hours) > 24:
        raise InvalidInput(f"{field}: {text!r} is not a time of day.", field="hours")
    value = int(hours) * 60 + int(minutes)
    if value > DAY_MINUTES:
        raise InvalidInput(f"{field}: {text!r} is after 24:00.", field="hours")
    return value


def hours_parse(hours: Any) -> dict[int, tuple[tuple[int, int], ...]]:
    """Validate `{"mon": [["09:00", "17:00"], …], …}` and return it as weekday → minute spans."""
    if not isinstance(hours, dict):
        raise InvalidInput("hours must map weekdays (mon … sun) to lists of [start, end].", field="hours")
    weekly: dict[int, tuple[tuple[int, int], ...]] = {}
    for day, spans in hours.items():
        if day not in WEEKDAYS:
            raise InvalidInput(f"Unknown weekday {day!r}; use mon … sun.", field="hours")
        if not isinstance(spans, list) or len(spans) > 12:
            raise InvalidInput(f"{day}: a list of at most 12 [start, end] pairs.", field="hours")
        parsed = []
        for span in spans:
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise InvalidInput(f"{day}: each interval is [start, end].", field="hours")
            start, end = _minutes(span[0], day), _minutes(span[1], day)
            if start >= end:
                raise InvalidInput(f"{day}: {span[0]}–{span[1]} ends before it starts.", field="hours")
            parsed.append((start, end))
        parsed.sort()
        if any(a[1] > b[0] for a, b in itertools.pairwise(parsed)):
            raise InvalidInput(f"{day}: intervals overlap.", field="hours")
        weekly[WEEKDAYS.index(day)] = tuple(parsed)
    return weekly


def zone_parse(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown time zone {name!r}.", field="time_zone") from exc


def holidays_check(country: str, region: str) -> None:
    if not country:
        return
    try:
        holidays.country_holidays(country, subdiv=region or None, years=2026)
    except NotImplementedError as exc:
        raise InvalidInput(f"No public holidays known for country {country!r}.", field="country") from exc
    except ValueError as exc:
        raise InvalidInput(f"Unknown region {region!r} of {country}.", field="region") from exc


@lru_cache(maxsize=256)
def _public_holidays(country: str, region: str, years: tuple[int, ...]) -> frozenset[dt.date]:
    try:
        days = holidays.country_holidays(country, subdiv=region or None, years=years)
    except (NotImplementedError, ValueError):
        return frozenset()  # validated on save; a stale code must not stop the clocks
    return frozenset(days.keys())


def calendar_for_client(client: Client) -> BusinessCalendar | None:
    link = ClientCalendar.objects.filter(client=client).select_related("calendar").first()
    if link is not None:
        return link.calendar
    return BusinessCalendar.objects.filter(is_default=True).first()


def calendar_build(
    stored: BusinessCalendar | None,
    *,
    client: Client,
    years: range,
    closures: frozenset[dt.date] | None = None,
) -> Calendar:
    """The pure calendar of `stored` as seen for `client` over `years`. No stored calendar at all:
    24×7 (an SLA without a calendar counts every minute rather than none)."""
    if stored is None:
        return ALWAYS
    zone = zone_parse(stored.time_zone or client.timezone or "UTC")
    closed = set(closures if closures is not None else stored.closures.values_list("date", flat=True))
    country = stored.country or client.country
    region = stored.region if stored.country else client.region
    if stored.public_holidays and country:
        closed |= _public_holidays(country.upper(), region.upper(), tuple(years))
    return Calendar(zone=zone, weekly=hours_parse(stored.hours), closed=frozenset(closed))


def ical_closures(data: bytes) -> list[tuple[dt.date, str]]:
    """The days covered by the events of an iCalendar file, with their summaries."""
    if len(data) > MAX_ICAL_BYTES:
        raise InvalidInput("The iCal file is larger than 1 MB.", field="file")
    try:
        parsed = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise InvalidInput(f"Not an iCalendar file: {exc}", field="file") from exc
    days: dict[dt.date, str] = {}
    for event in parsed.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        if start is None:
            continue
        end = event.decoded("DTEND", None)
        first = start.date() if isinstance(start, dt.datetime) else start
        last = (end.date() if isinstance(end, dt.datetime) else end) if end else first + dt.timedelta(days=1)
        if isinstance(start, dt.datetime) and end is not None and isinstance(end, dt.datetime):
            last = end.date() + dt.timedelta(days=1) if end.time() != dt.time(0) else end.date()
        day = first
        while day < max(last, first + dt.timedelta(days=1)):
            days.setdefault(day, str(event.get("SUMMARY", ""))[:200])
            if len(days) > MAX_ICAL_DAYS:
                raise InvalidInput(f"The iCal file covers more than {MAX_ICAL_DAYS} days.", field="file")
            day += dt.timedelta(days=1)
    return sorted(days.items())
