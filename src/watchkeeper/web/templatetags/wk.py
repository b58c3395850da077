"""Cheap time filters for long lists. Django's `timesince` and `date` go through translation
and the full date formatter on every call; a queue of 50 rows calls them hundreds of times."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from watchkeeper.core import humanize
from watchkeeper.incidents.models import status_label as _status_label

register = template.Library()


@register.filter
def age(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """Elapsed time, compact: "45 s", "12 min", "3 h 5 min", "4 d 2 h", "3 w"."""
    if value is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - value).total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds} s"
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    if days < 14:
        return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"
    return f"{days // 7} w"


@register.filter
def iso(value: dt.datetime | None) -> str:
    """ISO 8601 in the active time zone, for `<time datetime>`."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@register.filter
def stamp(value: dt.datetime | None) -> str:
    """ "2025-03-03 09:00 CET" in the active time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else ""


@register.filter
def when(value: dt.datetime | None) -> str:
    """ "Thu 3 Dec, 14:00 CET": in the active time zone (the viewer's), with its abbreviation."""
    return humanize.when(value, timezone.get_current_timezone()) if value else ""


@register.filter
def minutes(value: float | str | None) -> str:
    """A target or delay in minutes as a person reads it: 960 → "16 h", 9600 → "6 d 16 h".
    Nothing (None, or a missing value the template gives as "") reads "—"."""
    try:
        return humanize.minutes_text(None if value in (None, "") else float(value))
    except (TypeError, ValueError):
        return "—"


@register.filter
def duration(value: dt.timedelta | None) -> str:
    return humanize.duration_text(value)


@register.filter
def status_label(value: str) -> str:
    """An incident status key as words: "waiting_client" → "Waiting on client"."""
    return _status_label(str(value))
