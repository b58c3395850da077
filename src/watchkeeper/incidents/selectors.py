"""Reads for incidents, scoped by the access module.

The API and the console both read through here. Incidents are MSP work: portal users get
empty lists and 404s (access action `incidents.view`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from watchkeeper.alerts.models import Alert
from watchkeeper.core.errors import InvalidInput
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, IncidentStatus, TimelineEntry
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

# "ACME-42": a client's slug (which may itself contain hyphens), a hyphen, the number.
_REFERENCE = re.compile(r"^(?P<slug>[\w-]+)-(?P<number>\d+)$")


@dataclass(frozen=True)
class OwnerFilter:
    """Whose incidents: one user's (`user_id`), or nobody's (`unowned`)."""

    user_id: int | None = None
    unowned: bool = False


def incident_statuses(values: Sequence[str]) -> list[str]:
    """Status filter values ("triggered,acknowledged" or repeated; "open" means both)."""
    statuses: list[str] = []
    for value in (part.strip() for raw in values for part in raw.split(",")):
        if value == "open":
            statuses += list(OPEN_INCIDENT_STATUSES)
        elif value in IncidentStatus.values:
            statuses.append(value)
        elif value:
            raise InvalidInput(
                f"Unknown incident status '{value}'. Use open or one of: {', '.join(IncidentStatus.values)}.",
                field="status",
            )
    return statuses


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for raw in values for part in raw.split(",") if part.strip()]


def _base(actor: access.ActorLike) -> QuerySet[Incident]:
    return access.scope_for(
        Incident.objects.select_related("client", "service", "owner").annotate(
            alert_count=Count("alerts", distinct=True)
        ),
        actor,
        "incidents.view",
    )


def _search(qs: QuerySet[Incident], query: str) -> QuerySet[Incident]:
    """Title words, or a reference such as ACME-42."""
    match = Q(title__icontains=query)
    reference = _REFERENCE.match(query)
    if reference:
        match |= Q(client__slug__iexact=reference["slug"], number=int(reference["number"]))
    return qs.filter(match)


def incident_list(
    *,
    actor: access.ActorLike,
    client: Client | None = None,
    status: Sequence[str] = (),
    priority: Sequence[str] = (),
    service: int | None = None,
    owner: OwnerFilter | None = None,
    query: str = "",
) -> QuerySet[Incident]:
    """Incidents, newest first, each with `alert_count`; client, service and owner come along."""
    qs = _base(actor)
    if client is not None:
        qs = qs.filter(client=client)
    if statuses := incident_statuses(status):
        qs = qs.filter(status__in=statuses)
    if priorities := _split(priority):
        qs = qs.filter(priority__in=priorities)
    if service is not None:
        qs = qs.filter(service_id=service)  # another tenant's service matches nothing
    if owner is not None and owner.unowned:
        qs = qs.filter(owner__isnull=True)
    elif owner is not None and owner.user_id is not None:
        qs = qs.filter(owner_id=owner.user_id)
    if query.strip():
        qs = _search(qs, query.strip())
    return qs.order_by("-opened_at", "-id")


def incident_access(*, actor: access.ActorLike, pk: int) -> Incident:
    """One incident the actor may see (NotFound otherwise), with `alert_count`."""
    return access.object_access(actor, _base(actor), pk=pk)


def incident_detail(*, actor: access.ActorLike, pk: int) -> Incident:
    """One incident with its timeline (oldest first) and its alerts prefetched."""
    timeline = TimelineEntry.objects.select_related("actor").order_by("at", "id")
    alerts = (
        Alert.objects.select_related("integration", "service")
        .defer("raw", "details", "images")
        .order_by("first_seen_at", "id")
    )
    qs = _base(actor).prefetch_related(
        Prefetch("timeline", queryset=timeline), Prefetch("alerts", queryset=alerts)
    )
    return access.object_access(actor, qs, pk=pk)
