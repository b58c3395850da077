"""Reads for SLA: the policy and targets that apply to a client, clocks for many incidents at once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery

from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, TimelineEntry, TimelineKind
from watchkeeper.sla.businesstime import business_between
from watchkeeper.sla.calendars import calendar_build, calendar_for_client
from watchkeeper.sla.clocks import Event, Targets
from watchkeeper.sla.models import (
    RUNNING_STATES,
    BusinessCalendar,
    ClockKind,
    ClockState,
    SlaBreach,
    SlaClock,
    SlaPolicy,
    SlaTarget,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client


def policy_for_client(client: Client) -> SlaPolicy | None:
    """The client's own policy, else its contract tier's default, else none (no SLA clocks)."""
    own = SlaPolicy.objects.filter(client=client).first()
    if own is not None:
        return own
    return SlaPolicy.objects.filter(client__isnull=True, tier=client.contract_tier).first()


def target_for(policy: SlaPolicy, priority: str) -> SlaTarget | None:
    return policy.targets.filter(priority=priority).first()


def clocks_for_incidents(incident_ids: Iterable[int]) -> dict[int, list[SlaClock]]:
    """Clocks of many incidents in ONE query, keyed by incident id, each list in display order."""
    order = {"response": 0, "update": 1, "resolution": 2}
    grouped: dict[int, list[SlaClock]] = defaultdict(list)
    for item in SlaClock.objects.filter(incident_id__in=list(incident_ids)):
        grouped[item.incident_id].append(item)
    for clocks in grouped.values():
        clocks.sort(key=lambda c: order.get(c.kind, 9))
    return dict(grouped)


def policy_list() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.select_related("client").prefetch_related("targets")


def policy_list_for(*, actor: access.ActorLike) -> QuerySet[SlaPolicy]:
    """Tier defaults (no client) and the client overrides the actor may see."""
    visible = access.visible_clients(actor).values("pk")
    qs = policy_list()
    if access.sees_every_client(actor):
        return qs
    return qs.filter(client__isnull=True) | qs.filter(client__in=visible)


def calendar_list() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related("closures")


def breaches_for(*, actor: access.ActorLike, client: Client | None = None) -> QuerySet[SlaBreach]:
    qs = access.scope(SlaBreach.objects.select_related("incident__client", "reason_by"), actor)
    return qs.filter(client=client) if client is not None else qs


def client_standing(client: Client) -> dict[str, int]:
    """Counts of the open incidents' clocks per state, for the client page."""
    counts: dict[str, int] = defaultdict(int)
    open_clocks = SlaClock.objects.filter(client=client, incident__status__in=OPEN_INCIDENT_STATUSES)
    rows = open_clocks.values_list("state", flat=True)
    for state in rows:
        counts[state] += 1
    return dict(counts)


def incident_events(incident: Incident) -> list[Event]:
    rows = TimelineEntry.objects.filter(incident=incident).values_list(
        "at", "kind", "data", "client_visible", "actor__role"
    )
    events = []
    for at, kind, data, visible, role in rows:
        status = str((data or {}).get("status", "")) if kind == TimelineKind.STATUS else ""
        if kind in (TimelineKind.STATUS, TimelineKind.NOTE):
            events.append(
                Event(at=at, status=status, client_visible=visible, by_technician=access.is_staff_role(role))
            )
    return events


def targets_for(incident: Incident) -> Targets | None:
    """The targets of the incident's current priority, or None when no SLA applies."""
    policy = policy_for_client(incident.client)
    target = target_for(policy, incident.priority) if policy is not None else None
    if policy is None or target is None:
        return None
    opened = incident.opened_at
    years = range(opened.year - 1, clock.now().year + 2)
    calendar = calendar_build(
        None if target.around_the_clock else calendar_for_client(incident.client),
        client=incident.client,
        years=years,
    )
    return Targets(
        response=dt.timedelta(minutes=target.response_minutes),
        update=dt.timedelta(minutes=target.update_minutes) if target.update_minutes else None,
        resolution=dt.timedelta(minutes=target.resolution_minutes),
        calendar=calendar,
        thresholds=tuple(int(p) for p in policy.warning_thresholds),
        pause_statuses=frozenset(policy.pause_statuses),
        response_by_reply=policy.response_by_reply,
        around_the_clock=target.around_the_clock,
    )


@dataclass(frozen=True)
class ClockView:
    """One clock as the console shows it; `left` is business time to the due time (running clocks)."""

    kind: str
    label: str
    state: str
    state_label: str
    priority: str
    target_minutes: int
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    left: dt.timedelta | None = None


def _view(row: SlaClock, left: dt.timedelta | None = None) -> ClockView:
    return ClockView(
        kind=row.kind,
        label=ClockKind(row.kind).label,
        state=row.state,
        state_label=ClockState(row.state).label,
        priority=row.priority,
        target_minutes=row.target_minutes,
        due_at=row.due_at,
        met_at=row.met_at,
        breached_at=row.breached_at,
        left=left,
    )


def clock_views_for_incidents(incident_ids: Iterable[int]) -> dict[int, list[ClockView]]:
    """For lists (the queue): ONE query, no business-time arithmetic."""
    return {pk: [_view(row) for row in rows] for pk, rows in clocks_for_incidents(incident_ids).items()}


def clock_views(*, incident: Incident, now: dt.datetime | None = None) -> list[ClockView]:
    """For the incident page: each clock with the business time left until it is due."""
    now = now or clock.now()
    rows = clocks_for_incidents([incident.pk]).get(incident.pk, [])
    targets = targets_for(incident) if any(r.is_running and r.due_at for r in rows) else None
    views = []
    for row in rows:
        left = None
        if targets is not None and row.is_running and row.due_at is not None:
            left = business_between(targets.calendar, now, row.due_at)
        views.append(_view(row, left))
    return views


def incidents_by_time_to_breach(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Order a queue by the next running clock's due time (soonest first; none last)."""
    next_due = (
        SlaClock.objects.filter(incident=OuterRef("pk"), state__in=RUNNING_STATES, due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return incidents.annotate(sla_next_due=Subquery(next_due)).order_by(
        F("sla_next_due").asc(nulls_last=True), "priority", "opened_at", "id"
    )


# The queue's "SLA risk" filter: which clock states an incident must have at least one of.
SLA_RISK_FILTERS: dict[str, tuple[str, ...]] = {
    "at_risk": (ClockState.AT_RISK,),
    "breached": (ClockState.BREACHED,),
    "risk": (ClockState.AT_RISK, ClockState.BREACHED),
}


def incidents_with_sla_risk(incidents: QuerySet[Incident], *, risk: str) -> QuerySet[Incident]:
    """Only incidents with a clock at risk and/or breached (`risk` is a key of SLA_RISK_FILTERS);
    one EXISTS on the clocks' (state, due_at) index, no join that could repeat rows."""
    states = SLA_RISK_FILTERS.get(risk)
    if states is None:
        raise InvalidInput(
            f"Unknown SLA risk '{risk}'. Use one of: {', '.join(SLA_RISK_FILTERS)}.", field="sla"
        )
    return incidents.filter(Exists(SlaClock.objects.filter(incident=OuterRef("pk"), state__in=states)))
