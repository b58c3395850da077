"""Reads for incidents, scoped by the access module.

The API and the console both read through here. Incidents are MSP work: portal users get
empty lists and 404s (access action `incidents.view`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.pagination import Page, paginate
from watchkeeper.incidents.models import (
    OPEN_INCIDENT_STATUSES,
    Incident,
    IncidentStatus,
    Responder,
    TimelineEntry,
    TimelineKind,
)
from watchkeeper.policy.selectors import priority_keys
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


def incident_priorities(values: Sequence[str]) -> list[str]:
    """Priority filter values ("P1,P2" or repeated), each one of the policy's priorities: an
    unknown one (a typo, `false`) would match nothing and look like an empty queue."""
    wanted = _split(values)
    if wanted:
        known = priority_keys()
        for value in wanted:
            if value not in known:
                raise InvalidInput(
                    f"Unknown priority '{value}'. Use one of: {', '.join(known)}.", field="priority"
                )
    return wanted


def _listed(actor: access.ActorLike) -> QuerySet[Incident]:
    """Incidents the actor may see, without per-row aggregates: a list counts and sorts tens
    of thousands of rows, so `alert_count` is attached to one page at a time
    (`incident_alert_counts`) instead of a GROUP BY over all of them."""
    listed = Incident.objects.select_related("client", "service", "owner").defer(
        "description", "group_key", "client__notes", "service__description", "owner__password"
    )
    return access.scope_for(listed, actor, "incidents.view")


def _base(actor: access.ActorLike) -> QuerySet[Incident]:
    """One incident's full row (description included) with its `alert_count`."""
    full = Incident.objects.select_related("client", "service", "owner")
    return access.scope_for(full, actor, "incidents.view").annotate(
        alert_count=Count("alerts", distinct=True)
    )


def incident_rows(qs: QuerySet[Incident], ids: Sequence[int]) -> list[Incident]:
    """The incidents of `ids` (one page of a list), in that order, with their related rows and
    `alert_count`. Lists page in two steps: first the ids (sorted and sliced on indexes, no
    joins), then the 50 rows with their joins; SQLite would otherwise join every row it sorts
    or skips (a deep page or "mine" joined thousands of rows to show 50)."""
    by_id = {incident.pk: incident for incident in qs.filter(pk__in=list(ids)).order_by()}
    rows = [by_id[pk] for pk in ids if pk in by_id]
    incident_alert_counts(rows)
    return rows


SEARCH_COUNT_LIMIT = 1_000


def incident_page(
    qs: QuerySet[Incident], *, page: str | int | None, size: int = 50, searching: bool = False
) -> Page:
    """One page of a list of incidents (see `incident_rows`). A title search counts at most
    SEARCH_COUNT_LIMIT matches: counting every match of a common word scans the whole table,
    and nobody pages past a thousand search results (the page says "at least")."""
    ids = qs.values_list("pk", flat=True)
    if not searching:
        found = paginate(ids, page=page, size=size)
        return dataclasses.replace(found, items=incident_rows(qs, found.items))
    count = min(ids[:SEARCH_COUNT_LIMIT].count(), SEARCH_COUNT_LIMIT)
    try:
        number = max(1, int(page or 1))
    except ValueError:
        number = 1
    number = min(number, max(1, -(-count // size)))
    items = list(ids[(number - 1) * size : min(number * size, count)])
    return Page(items=incident_rows(qs, items), number=number, size=size, count=count)


def incident_alert_counts(incidents: Sequence[Incident]) -> Sequence[Incident]:
    """Set `alert_count` on each incident of a page, in one query (through the reverse relation:
    alerts sit above incidents in the layers, ADR 0022)."""
    counts = dict(
        Incident.objects.filter(pk__in=[incident.pk for incident in incidents])
        .annotate(n=Count("alerts"))
        .values_list("pk", "n")
    )
    for incident in incidents:
        incident.alert_count = counts.get(incident.pk, 0)  # type: ignore[attr-defined]
    return incidents


def _search(qs: QuerySet[Incident], query: str) -> QuerySet[Incident]:
    """A reference such as ACME-42 finds that incident (when the client exists); anything else
    searches the titles. The reference is looked up on its own, not OR-ed with the title
    search, so it is an index look-up rather than a scan of every title."""
    reference = _REFERENCE.match(query)
    if reference:
        client_id = Client.objects.filter(slug__iexact=reference["slug"]).values_list("pk", flat=True).first()
        if client_id is not None:
            return qs.filter(client_id=client_id, number=int(reference["number"]))
    return qs.filter(title__icontains=query)


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
    """Incidents, newest first; client, service and owner come along. Call
    `incident_alert_counts` on the page shown."""
    qs = _listed(actor)
    if client is not None:
        qs = qs.filter(client=client)
    if statuses := incident_statuses(status):
        qs = qs.filter(status__in=statuses)
    if priorities := incident_priorities(priority):
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
    """One incident with its timeline (oldest first) and responders prefetched; its alerts come
    from `incident_alerts`."""
    timeline = TimelineEntry.objects.select_related("actor").order_by("at", "id")
    responders = Responder.objects.select_related("user").order_by("added_at", "id")
    qs = _base(actor).prefetch_related(
        Prefetch("timeline", queryset=timeline),
        Prefetch("responders", queryset=responders),
    )
    return access.object_access(actor, qs, pk=pk)


def incident_alerts(*, incident: Incident) -> QuerySet[Any]:
    """The alerts of an incident the caller may already see, oldest first, with integration and
    service, without the raw payloads. Read through the reverse relation `alerts`, so incidents
    need not import the alerts app above it (ADR 0022)."""
    alerts = incident.alerts.select_related("integration", "service").defer("raw", "details", "images")
    return alerts.order_by("first_seen_at", "id")


def incident_queue_order(qs: QuerySet[Incident], *, open_first: bool = True) -> QuerySet[Incident]:
    """Most urgent first in the policy's own priority order (`priority_rank`, not the keys'
    alphabet); within a priority, open work waiting longest first (`open_first`), or history
    newest first. Both orders are served by an index (see Incident.Meta)."""
    age = "opened_at" if open_first else "-opened_at"
    return qs.order_by("priority_rank", age, "id")


CHANGE_KINDS = (
    TimelineKind.OPENED, TimelineKind.STATUS, TimelineKind.PRIORITY, TimelineKind.OWNER,
    TimelineKind.CATEGORY, TimelineKind.RESPONDER, TimelineKind.MERGE, TimelineKind.CHANGE,
)  # fmt: skip

# Timeline filters of the incident page: what each shows.
TIMELINE_FILTERS: dict[str, tuple[str, Q | None]] = {
    "all": ("Everything", None),
    "notes": ("Notes", Q(kind=TimelineKind.NOTE)),
    "alerts": ("Alerts", Q(kind=TimelineKind.ALERT)),
    # Pages and escalations are written by paging with kinds starting "page" or "escalation".
    "pages": ("Pages", Q(kind__startswith="page") | Q(kind__startswith="escalation")),
    "client": ("Client updates", Q(client_visible=True)),
    "changes": (
        "Changes",
        Q(kind__in=CHANGE_KINDS),
    ),
}


def timeline_filtered(*, incident: Incident, show: str) -> list[TimelineEntry]:
    """The incident's timeline narrowed by a TIMELINE_FILTERS key (an unknown key is a 400).
    Uses the prefetched timeline when showing everything."""
    if show not in TIMELINE_FILTERS:
        raise InvalidInput(f"Unknown timeline filter '{show}'. Use one of: {', '.join(TIMELINE_FILTERS)}.")
    condition = TIMELINE_FILTERS[show][1]
    if condition is None:
        return list(incident.timeline.all())
    entries = TimelineEntry.objects.filter(condition, incident=incident).select_related("actor")
    return list(entries.order_by("at", "id"))


# --- the client portal: a client user's own incidents, client-visible entries only --------------


def portal_incident_list(*, actor: access.ActorLike, open_only: bool | None = None) -> QuerySet[Incident]:
    """The incidents of the portal user's own client (access action `portal.incidents`)."""
    qs = access.scope_for(Incident.objects.select_related("client", "service"), actor, "portal.incidents")
    if open_only is True:
        qs = qs.filter(status__in=OPEN_INCIDENT_STATUSES)
    elif open_only is False:
        qs = qs.exclude(status__in=OPEN_INCIDENT_STATUSES)
    return qs.order_by("-opened_at", "-id")


def portal_incident_detail(*, actor: access.ActorLike, pk: int) -> Incident:
    """One of the client's incidents with only its client-visible timeline entries prefetched
    (as `visible_timeline`): internal notes never leave the database for a portal page."""
    visible = TimelineEntry.objects.filter(client_visible=True).select_related("actor").order_by("at", "id")
    qs = access.scope_for(
        Incident.objects.select_related("client", "service"), actor, "portal.incidents"
    ).prefetch_related(Prefetch("timeline", queryset=visible, to_attr="visible_timeline"))
    return access.object_access(actor, qs, pk=pk)
