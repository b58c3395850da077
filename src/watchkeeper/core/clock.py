"""The one clock. All code asks `now()`; tests freeze or fast-forward it.

Invariant: `now()` is always timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

_lock = threading.Lock()
_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    with _lock:
        if _frozen is not None:
            return _frozen
        return dt.datetime.now(dt.UTC) + _offset


def freeze(at: dt.datetime) -> None:
    """Stop the clock at `at` (tests and the scenario harness only)."""
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    global _frozen
    with _lock:
        _frozen = at.astimezone(dt.UTC)


def advance(delta: dt.timedelta) -> dt.datetime:
    """Move the clock forward, frozen or not, and return the new now."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
            return _frozen
        _offset = _offset + delta
    return now()


def reset() -> None:
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = dt.timedelta(0)


def zone_or_utc(name: str) -> zoneinfo.ZoneInfo:
    """The time zone to *show* times in: UTC when the stored name is unknown (a zone removed from
    the tz database, or a row written before names were checked). Writes check names instead."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
