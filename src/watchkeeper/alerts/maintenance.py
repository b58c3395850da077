"""Maintenance windows in time: is a window active at an instant, and when is it next.

A one-off window is the interval [starts_at, ends_at). A recurring window repeats by an
RFC 5545 recurrence (an RRULE line, optionally with EXDATE lines) evaluated on the wall
clock of the window's time zone: every occurrence starts at the first one's local time and
lasts as long on the wall clock, so "Sundays 02:00–04:00 Europe/London" stays 02:00–04:00
local on both sides of a daylight-saving change. A local start that falls in a
spring-forward gap begins at the same offset as before the change (one hour later on the
clock); in the repeated autumn hour the first of the two readings is used.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset

from watchkeeper.alerts.models import MaintenanceWindow
from watchkeeper.alerts.recurrence import recurrence_check, recurrence_parse, recurrence_rules, until_utc

# How far (on either side) daylight-saving shifts can move an occurrence against the wall clock.
_SLACK = dt.timedelta(hours=3)
_STATE_LIMIT = 4096

Span = tuple[dt.datetime, dt.datetime]


def zone(name: str) -> ZoneInfo:
    """The time zone by IANA name; ValueError (with the name) when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"Unknown time zone '{name}' (use an IANA name such as Europe/London).") from None


def _local(at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return at.astimezone(tz).replace(tzinfo=None)


def _absolute(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def _rules(recurrence: str, tz: ZoneInfo, local_start: dt.datetime, near: dt.datetime) -> rruleset:
    """The window's rule set, evaluated from an anchor shortly before `near` (local times).

    Built per evaluation, never cached: `_state` below keeps each window's answer until its
    next boundary, so this runs about twice per occurrence, and holds no occurrences."""
    rule = recurrence_parse(recurrence)
    # Checked again here, not only at save: a row written around the services (or saved before
    # these checks existed) must not send dateutil searching to the year 9999 for every event.
    recurrence_check(rule, local_start)
    until = until_utc(rule)
    local_until = f"{_local(until, tz):%Y%m%dT%H%M%S}" if until is not None else None
    return recurrence_rules(rule, local_start, near, until=local_until)


def recurrence_error(recurrence: str, tz_name: str, starts_at: dt.datetime) -> str | None:
    """Why a recurrence cannot be used, or None. Checked when a window is saved."""
    if not recurrence.strip():
        return None
    try:
        tz = zone(tz_name)
        local_start = _local(starts_at, tz)
        _rules(recurrence, tz, local_start, local_start).after(local_start, inc=True)
    except (ValueError, TypeError, OverflowError) as exc:
        message = str(exc)
        if "RRULE" in message or "recurrence" in message.lower() or "window" in message:
            return message
        return f"The recurrence is not a valid RFC 5545 rule: {message}"
    return None


def _wall_length(window: MaintenanceWindow, tz: ZoneInfo) -> dt.timedelta:
    return _local(window.ends_at, tz) - _local(window.starts_at, tz)


def _spans_near(window: MaintenanceWindow, at: dt.datetime) -> tuple[list[Span], dt.datetime | None]:
    """Occurrences that could cover `at`, and the first start after `at` (None: no more)."""
    tz = zone(window.timezone)
    local_start, length = _local(window.starts_at, tz), _wall_length(window, tz)
    local_at = _local(at, tz)
    rules = _rules(window.recurrence, tz, local_start, local_at - length - _SLACK)
    nearby = rules.between(local_at - length - _SLACK, local_at + _SLACK, inc=True)
    spans = [(_absolute(occurrence, tz), _absolute(occurrence + length, tz)) for occurrence in nearby]
    upcoming: dt.datetime | None = next((start for start, _ in spans if start > at), None)
    if upcoming is None:
        later = rules.after(local_at + _SLACK)
        upcoming = _absolute(later, tz) if later is not None else None
    return spans, upcoming


def window_span_at(window: MaintenanceWindow, at: dt.datetime) -> Span | None:
    """The occurrence of the window that covers `at`, or None."""
    if not window.recurrence.strip():
        return (window.starts_at, window.ends_at) if window.starts_at <= at < window.ends_at else None
    spans, _ = _spans_near(window, at)
    covering = [span for span in spans if span[0] <= at < span[1]]
    return max(covering, key=lambda span: span[1]) if covering else None


def window_next(window: MaintenanceWindow, after: dt.datetime) -> Span | None:
    """The occurrence in force at `after`, or else the next one to start (None: no more)."""
    current = window_span_at(window, after)
    if current is not None or not window.recurrence.strip():
        return current or ((window.starts_at, window.ends_at) if window.starts_at > after else None)
    _, upcoming = _spans_near(window, after)
    if upcoming is None:
        return None
    tz = zone(window.timezone)
    return upcoming, _absolute(_local(upcoming, tz) + _wall_length(window, tz), tz)


# Per window version: (valid from, valid until, active). A recurring window's answer holds
# until its next boundary, so evaluating it per event is a dictionary look-up, not a walk
# through the recurrence from its first occurrence.
_state: dict[tuple[int, int], tuple[dt.datetime, dt.datetime | None, bool]] = {}


def _state_for(window: MaintenanceWindow, at: dt.datetime) -> tuple[dt.datetime, dt.datetime | None, bool]:
    span = window_span_at(window, at)
    if span is not None:
        return at, span[1], True
    _, upcoming = _spans_near(window, at)
    return at, upcoming, False


def window_active(window: MaintenanceWindow, at: dt.datetime) -> bool:
    """Whether the window suppresses alerts at `at` (an instant, any time zone)."""
    if not window.recurrence.strip():
        return window.starts_at <= at < window.ends_at
    key = (window.pk, window.change_token)
    state = _state.get(key)
    if state is None or not (state[0] <= at and (state[1] is None or at < state[1])):
        try:
            state = _state_for(window, at)
        except (ValueError, TypeError, OverflowError):
            return False  # saved before validation existed or zone data removed: never suppress silently
        if len(_state) >= _STATE_LIMIT:
            _state.clear()
        _state[key] = state
    return state[2]
