"""SLA clocks as a pure function of an incident's history: given when it opened, its status
changes and client-visible updates, the targets of its (current) priority and a calendar, say
where each clock stands at `now`. No database; the engine stores the result (`SlaClock`).

Rules (docs/sla.md):
- First response: met by the first move out of *triggered* (acknowledge, waiting, resolve) or, when
  the policy says so, by a technician's client-visible note. Stays met after a reopen.
- Client update: one interval from the opening and then from each client-visible update; while the
  incident is resolved or in a pause status it does not run. Every missed interval is a breach.
- Resolution: counts while the incident is open and not in a pause status; a reopen resumes it.
- A priority change recomputes everything from the opening with the new targets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from watchkeeper.sla.businesstime import Calendar, Pause, business_add, business_between

FINISHED = frozenset({"resolved", "closed"})
AT_RISK_FRACTION = 0.75


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    status: str = ""  # the status entered, for status changes
    client_visible: bool = False
    by_technician: bool = False


@dataclass(frozen=True)
class Targets:
    response: dt.timedelta
    update: dt.timedelta | None
    resolution: dt.timedelta
    calendar: Calendar
    thresholds: tuple[int, ...] = (50, 75, 90)
    pause_statuses: frozenset[str] = frozenset({"waiting_client", "waiting_vendor"})
    response_by_reply: bool = True
    around_the_clock: bool = False


@dataclass(frozen=True)
class Breach:
    cycle: int
    due_at: dt.datetime
    breached_at: dt.datetime


@dataclass
class ClockResult:
    kind: str
    state: str
    target: dt.timedelta
    started_at: dt.datetime
    cycle: int = 0
    due_at: dt.datetime | None = None
    met_at: dt.datetime | None = None
    elapsed: dt.timedelta = dt.timedelta(0)
    breaches: list[Breach] = field(default_factory=list)
    # (percent, instant) of each warning threshold of the current cycle, when reachable.
    warnings: list[tuple[int, dt.datetime]] = field(default_factory=list)


def status_periods(
    opened_at: dt.datetime, events: Sequence[Event]
) -> list[tuple[dt.datetime, dt.datetime | None, str]]:
    """(start, end or None, status) from the opening on, in time order."""
    periods: list[tuple[dt.datetime, dt.datetime | None, str]] = []
    start, status = opened_at, "triggered"
    for event in sorted((e for e in events if e.status), key=lambda e: e.at):
        if event.status == status:
            continue
        periods.append((start, event.at, status))
        start, status = max(event.at, start), event.status
    periods.append((start, None, status))
    return periods


def _stops(
    periods: Sequence[tuple[dt.datetime, dt.datetime | None, str]], statuses: frozenset[str]
) -> list[Pause]:
    return [(a, b) for a, b, status in periods if status in statuses]


def _running_state(elapsed: dt.timedelta, target: dt.timedelta) -> str:
    fraction = elapsed / target if target else 1.0
    return "at_risk" if fraction >= AT_RISK_FRACTION else "on_track"


def _warnings(
    targets: Targets, start: dt.datetime, target: dt.timedelta, stops: Sequence[Pause]
) -> list[tuple[int, dt.datetime]]:
    found = []
    for percent in sorted(targets.thresholds):
        at = business_add(targets.calendar, start, target * percent / 100, stops)
        if at is not None:
            found.append((percent, at))
    return found


def response_clock(
    opened_at: dt.datetime, events: Sequence[Event], targets: Targets, now: dt.datetime
) -> ClockResult:
    cal, target = targets.calendar, targets.response
    responses = [
        e.at
        for e in events
        if (e.status and e.status != "triggered")
        or (targets.response_by_reply and e.client_visible and e.by_technician and not e.status)
    ]
    met_at = min(responses) if responses else None
    due = business_add(cal, opened_at, target)
    result = ClockResult(kind="response", state="on_track", target=target, started_at=opened_at, due_at=due)
    result.elapsed = business_between(cal, opened_at, met_at if met_at is not None else now)
    if due is not None and ((met_at is not None and due < met_at) or (met_at is None and due <= now)):
        result.breaches.append(Breach(0, due, due))
    if met_at is not None:
        result.met_at, result.due_at = met_at, None
        result.state = "breached" if result.breaches else "met"
    elif result.breaches:
        result.state = "breached"
    else:
        result.state = _running_state(result.elapsed, target)
        result.warnings = _warnings(targets, opened_at, target, ())
    return result


def resolution_clock(
    opened_at: dt.datetime, events: Sequence[Event], targets: Targets, now: dt.datetime
) -> ClockResult:
    cal, target = targets.calendar, targets.resolution
    periods = status_periods(opened_at, events)
    stops = _stops(periods, targets.pause_statuses | FINISHED)
    current = periods[-1]
    due = business_add(cal, opened_at, target, stops)
    result = ClockResult(kind="resolution", state="on_track", target=target, started_at=opened_at, due_at=due)
    result.elapsed = business_between(cal, opened_at, now, stops)
    if due is not None and due <= now:
        result.breaches.append(Breach(0, due, due))
        result.state = "breached"
        result.due_at = due
    elif current[2] in FINISHED:
        result.state, result.met_at, result.due_at = "met", current[0], None
    elif due is None:
        result.state = "paused"
    else:
        result.state = _running_state(result.elapsed, target)
        result.warnings = _warnings(targets, opened_at, target, stops)
    if current[2] in FINISHED:
        result.met_at = current[0]  # when it finished; the state says whether in time
    return result


def update_clock(
    opened_at: dt.datetime, events: Sequence[Event], targets: Targets, now: dt.datetime
) -> ClockResult | None:
    if targets.update is None:
        return None
    cal, interval = targets.calendar, targets.update
    periods = status_periods(opened_at, events)
    stops = _stops(periods, targets.pause_statuses | FINISHED)
    anchors = [
        opened_at,
        *sorted(e.at for e in events if e.client_visible and not e.status and e.at >= opened_at),
    ]
    breaches = []
    for cycle, anchor in enumerate(anchors):
        until = anchors[cycle + 1] if cycle + 1 < len(anchors) else now
        due = business_add(cal, anchor, interval, stops)
        if due is not None and (due < until or (cycle + 1 == len(anchors) and due <= now)):
            breaches.append(Breach(cycle, due, due))
    cycle = len(anchors) - 1
    anchor = anchors[-1]
    due = business_add(cal, anchor, interval, stops)
    result = ClockResult(
        kind="update",
        state="on_track",
        target=interval,
        started_at=anchor,
        cycle=cycle,
        due_at=due,
        breaches=breaches,
        elapsed=business_between(cal, anchor, now, stops),
    )
    if breaches and breaches[-1].cycle == cycle:
        result.state = "breached"
    elif periods[-1][2] in FINISHED:
        result.state, result.met_at, result.due_at = "met", periods[-1][0], None
    elif due is None:
        result.state = "paused"
    else:
        result.state = _running_state(result.elapsed, interval)
        result.warnings = _warnings(targets, anchor, interval, stops)
    return result


def clocks_compute(
    opened_at: dt.datetime, events: Sequence[Event], targets: Targets, now: dt.datetime
) -> list[ClockResult]:
    """Every clock of the incident at `now`: response, update (when the policy has one), resolution."""
    events = [e for e in events if e.at <= now]
    clocks = [response_clock(opened_at, events, targets, now)]
    update = update_clock(opened_at, events, targets, now)
    if update is not None:
        clocks.append(update)
    clocks.append(resolution_clock(opened_at, events, targets, now))
    return clocks
