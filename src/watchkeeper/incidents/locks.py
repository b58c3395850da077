"""The incident row lock: the only way any app locks an incident (docs/adr/0023).

Lock order, everywhere: the incident row first, then the rows that hang off it and are locked
with it (the escalation state, `paging.IncidentEscalation`). Two incidents (a merge) are locked
in id order. Code that follows the order cannot deadlock with another incident writer.

The lock covers the incident row only (`of=("self",)`): the client, service or owner loaded
with it are read, not locked, so a change of a client or service never waits for an incident
change, and a nullable relation (the owner) can be joined on PostgreSQL.

Callers are inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import QuerySet

from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident
from watchkeeper.tenancy.models import Service

# What most writers read with the incident: its reference and texts need both.
LOCK_RELATED = ("client", "service")


def _for_update(related: Sequence[str]) -> QuerySet[Incident]:
    return Incident.objects.select_for_update(of=("self",)).select_related(*related)


def incident_lock(*, incident_id: int, related: Sequence[str] = LOCK_RELATED) -> Incident:
    """The incident, re-read under its row lock with `related` loaded. Raises
    `Incident.DoesNotExist` when there is no such incident."""
    return _for_update(related).get(pk=incident_id)


def incident_lock_grouped(*, service: Service, group_key: str, since: dt.datetime) -> Incident | None:
    """The newest open incident of `service` with `group_key` opened at or after `since`, under
    its row lock; None when there is none (alert grouping opens a new one then)."""
    return (
        _for_update(())
        .filter(service=service, group_key=group_key, status__in=OPEN_INCIDENT_STATUSES, opened_at__gte=since)
        .order_by("-opened_at")
        .first()
    )
