"""Writes for SLA clocks: reconcile an incident's stored clocks, breaches, warnings and timers with
what its history says (idempotent: run it any number of times, the outcome is the same)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from watchkeeper.audit.services import audit_record
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.humanize import iso
from watchkeeper.core.timers import timer_cancel_prefix, timer_set
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import Incident, TimelineKind
from watchkeeper.incidents.services import timeline_add
from watchkeeper.sla import notify
from watchkeeper.sla.clocks import ClockResult, clocks_compute
from watchkeeper.sla.models import ClockKind, SlaBreach, SlaClock
from watchkeeper.sla.selectors import incident_events, targets_for
from watchkeeper.sla.timers import CLOCK_CHECK as CHECK
from watchkeeper.tenancy.access import By, user_of

LABELS = dict(ClockKind.choices)


def sla_incident_reconcile(
    *, incident_id: int, now: dt.datetime | None = None, quiet: bool = False
) -> list[SlaClock]:
    """Bring the incident's clocks, breaches, warnings and check timers in line with its history.
    `quiet` records everything but notifies nobody (loading demo history)."""
    now = now or clock.now()
    with transaction.atomic():
        try:
            incident = incident_lock(incident_id=incident_id, related=("client", "owner"))
        except Incident.DoesNotExist:
            timer_cancel_prefix(kind=CHECK, key_prefix=f"{incident_id}:")
            return []
        targets = targets_for(incident)
        if targets is None:
            SlaClock.objects.filter(incident=incident).delete()
            timer_cancel_prefix(kind=CHECK, key_prefix=f"{incident.pk}:")
            return []
        results = clocks_compute(incident.opened_at, incident_events(incident), targets, now)
        stored = {c.kind: c for c in SlaClock.objects.filter(incident=incident)}
        SlaClock.objects.filter(incident=incident).exclude(kind__in=[r.kind for r in results]).delete()
        return [
            _clock_store(
                incident, result, stored.get(result.kind), now, quiet=quiet, always=targets.around_the_clock
            )
            for result in results
        ]


def _clock_store(
    incident: Incident,
    result: ClockResult,
    row: SlaClock | None,
    now: dt.datetime,
    *,
    quiet: bool,
    always: bool,
) -> SlaClock:
    if row is None:
        row = SlaClock(incident=incident, client=incident.client, kind=result.kind)
    elif row.cycle != result.cycle or row.priority != incident.priority:
        row.warned_percent = 0  # a new update interval or new targets: warnings start again
    recorded = _breaches_record(incident, result, quiet=quiet)
    row.priority, row.state, row.cycle = incident.priority, result.state, result.cycle
    row.target_minutes = int(result.target.total_seconds() // 60)
    row.around_the_clock = always
    row.started_at, row.due_at, row.met_at = result.started_at, result.due_at, result.met_at
    row.opened_at = incident.opened_at
    # A recorded breach is never erased: after a priority change the clock may be on track
    # again, but it keeps the time it breached (reports count it as breached).
    row.breached_at = result.breaches[-1].breached_at if result.breaches else recorded
    row.elapsed_seconds = int(result.elapsed.total_seconds())
    row.computed_at = now
    _warn(incident, result, row, now, quiet=quiet)
    row.save()
    _timer_next(incident, result, row, now)
    return row


def _breaches_record(incident: Incident, result: ClockResult, *, quiet: bool) -> dt.datetime | None:
    """Append the breaches not yet recorded; returns when this target last breached, if ever."""
    earlier = dict(
        SlaBreach.objects.filter(incident=incident, kind=result.kind).values_list("cycle", "breached_at")
    )
    known = set(earlier)
    for breach in result.breaches:
        if breach.cycle in known:
            continue
        SlaBreach.objects.create(
            client=incident.client,
            incident=incident,
            kind=result.kind,
            cycle=breach.cycle,
            priority=incident.priority,
            target_minutes=int(result.target.total_seconds() // 60),
            opened_at=incident.opened_at,
            due_at=breach.due_at,
            breached_at=breach.breached_at,
        )
        label = LABELS[result.kind]
        # The due time is a slot each reader fills in their own zone (core/humanize.py).
        text = (
            f"SLA breached: {label} ({incident.priority}, {notify.duration(result.target)}) was due {{due}}"
        )
        due = {"due": iso(breach.due_at)}
        timeline_add(
            incident=incident,
            kind=TimelineKind.CHANGE,
            text=text,
            data={"sla": "breach", "target": result.kind, "cycle": breach.cycle, "times": due},
        )
        if not quiet:
            notify.sla_notify(
                incident=incident,
                kind=result.kind,
                cycle=breach.cycle,
                level="breach",
                text=text,
                times=due,
            )

    times = [*earlier.values(), *(b.breached_at for b in result.breaches)]
    return max(times) if times else None


def _warn(incident: Incident, result: ClockResult, row: SlaClock, now: dt.datetime, *, quiet: bool) -> None:
    """Send the highest warning threshold passed and not yet sent in this cycle (one message on
    catch-up after downtime, not one per threshold)."""
    if result.state not in ("on_track", "at_risk"):
        return
    passed = [percent for percent, at in result.warnings if at <= now and percent > row.warned_percent]
    if not passed:
        return
    percent = max(passed)
    thresholds = sorted(p for p, _ in result.warnings)
    left = notify.duration(result.due_at - now) if result.due_at else "?"
    text = (
        f"SLA warning: {percent} % of {LABELS[result.kind]} used ({incident.priority});"
        f" due in {left} of business time"
    )
    timeline_add(
        incident=incident,
        kind=TimelineKind.CHANGE,
        text=text,
        data={"sla": "warning", "target": result.kind, "percent": percent, "cycle": result.cycle},
    )
    level = "manager" if thresholds and percent >= thresholds[-1] else "owner"
    if not quiet:
        notify.sla_notify(
            incident=incident, kind=result.kind, cycle=result.cycle, level=level, text=text, percent=percent
        )
    row.warned_percent = percent


def _timer_next(incident: Incident, result: ClockResult, row: SlaClock, now: dt.datetime) -> None:
    """One `sla.check` timer per clock, at its next warning or its breach; none when it is settled."""
    key = f"{incident.pk}:{result.kind}"
    upcoming = [at for percent, at in result.warnings if percent > row.warned_percent and at > now]
    if result.state in ("on_track", "at_risk") and result.due_at is not None:
        upcoming.append(result.due_at)
    if upcoming:
        timer_set(kind=CHECK, key=key, due_at=min(upcoming), payload={"incident": incident.pk})
    else:
        timer_cancel_prefix(kind=CHECK, key_prefix=key)


def sla_breach_explain(*, breach: SlaBreach, by: By, reason: str, via: str = "console") -> SlaBreach:
    """Fill in (or correct) why a breach happened: the only change a breach allows; audited."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("A reason needs some text.", field="reason")
    if len(reason) > 5000:
        raise InvalidInput("A reason can be at most 5,000 characters.", field="reason")
    with transaction.atomic():
        breach = SlaBreach.objects.select_for_update().get(pk=breach.pk)
        before = breach.reason
        breach.reason, breach.reason_by, breach.reason_at = reason, user_of(by), clock.now()
        breach.save(update_fields=breach.touch_fields("reason", "reason_by", "reason_at"))
        audit_record(
            actor=by,
            action="sla.breach.reason",
            obj=breach,
            before={"reason": before},
            after={"reason": reason},
            via=via,
        )
    return breach
