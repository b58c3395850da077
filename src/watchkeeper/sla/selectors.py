"""Reads for SLA: the policy and targets that apply to a client, clocks for many incidents at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from watchkeeper.sla.models import BusinessCalendar, SlaBreach, SlaClock, SlaPolicy, SlaTarget
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
    rows = SlaClock.objects.filter(client=client, incident__status__in=_OPEN).values_list("state", flat=True)
    for state in rows:
        counts[state] += 1
    return dict(counts)


_OPEN = ("triggered", "acknowledged", "waiting_client", "waiting_vendor")
