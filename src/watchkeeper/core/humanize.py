"""How durations and instants read to a person: "16 h" rather than 960, "Thu 3 Dec, 14:00 CET"
rather than UTC. One place, so the console, the portal, reports and e-mails say it alike.

Stored text never holds a formatted time: a service that writes a time into a text (a timeline
entry, a notice) writes a `{name}` slot and the instant under `times[name]` (ISO 8601), and each
reader fills the slots in its own zone (`times_fill`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")
_SLOT = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def minutes_text(minutes: float | None) -> str:
    """A target or delay in minutes as a person reads it: 45 → "45 min", 90 → "1 h 30 min",
    960 → "16 h", 9600 → "6 d 16 h" (a day is 24 hours). None → "—"."""
    if minutes is None:
        return "—"
    total = max(0, round(minutes))
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins and not days:  # "6 d 16 h 5 min" is noise; minutes matter below a day
        parts.append(f"{mins} min")
    return " ".join(parts) or "0 min"


def duration_text(delta: dt.timedelta | None) -> str:
    """A length of time, by the same rule as `minutes_text` (seconds are dropped)."""
    if delta is None:
        return "—"
    return minutes_text(max(0, int(delta.total_seconds() // 60)))


def when(at: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """An instant in `zone` (UTC when none), labelled with the zone's abbreviation, which names
    the zone for the reader even where several zones meet (an on-call board, a page e-mail):
    "Thu 3 Dec, 09:00 EST". Empty for None."""
    if at is None:
        return ""
    local = at.astimezone(zone or UTC)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


def times_fill(text: str, times: Mapping[str, str] | None, zone: dt.tzinfo | None = None) -> str:
    """Fill the `{name}` slots of a stored text with its `times` (ISO 8601 instants) shown in
    `zone`. Only names present in `times` are filled: other braces (a person's own words, or a
    text written before times were stored apart) stay as they are."""
    if not times:
        return text

    def fill(match: re.Match[str]) -> str:
        value = times.get(match.group(1))
        if not isinstance(value, str):
            return match.group(0)
        try:
            return when(dt.datetime.fromisoformat(value), zone)
        except ValueError:
            return match.group(0)

    return _SLOT.sub(fill, text)


def iso(at: dt.datetime) -> str:
    """The form `times_fill` reads back: ISO 8601 in UTC."""
    return at.astimezone(UTC).isoformat(timespec="seconds")
