"""Incidents opened in a batch: `incident_open` for many at once (the engine's inbox, ADR 0038).

In a storm a fifth of the engine's time went to new problems at about ten statements each. Here
a batch's new incidents take one counter UPDATE per client, one multi-row INSERT of incidents,
one of their "opened" timeline entries and one upsert of their watchers' timers: the same rows,
numbers and timers `incident_open` writes one by one. Caller is in a transaction (the inbox
batch's); nothing here commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.rows import rows_insert
from watchkeeper.core.timers import timer_set_many
from watchkeeper.incidents.models import (
    PRIORITY_RANK_UNKNOWN,
    Incident,
    IncidentCounter,
    TimelineEntry,
    TimelineKind,
)
from watchkeeper.incidents.services import INCIDENT_WATCHERS
from watchkeeper.policy.selectors import priority_for, priority_ranks
from watchkeeper.tenancy.models import Client, Service


@dataclass
class Opening:
    """What `incident_open` takes, for one incident of a batch."""

    client: Client
    service: Service
    title: str
    impact: str
    urgency: str
    by: str
    category: str = ""
    group_key: str = ""
    data: dict[str, Any] | None = None


def _numbers(clients: Counter[int]) -> dict[int, int]:
    """Reserve `n` incident numbers per client id in one UPDATE each (the counter row's lock
    serialises openings, as `_next_number` does); returns each client's first number."""
    table = IncidentCounter._meta.db_table
    first: dict[int, int] = {}
    for client_id, count in sorted(clients.items()):  # one lock order for every batch
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + %s "  # noqa: S608 — names, not data
                "WHERE client_id = %s RETURNING last_number",
                [count, client_id],
            )
            row = cursor.fetchone()
        if row is None:
            IncidentCounter.objects.get_or_create(client_id=client_id)  # first incidents of this client
            return {**first, **_numbers(Counter({c: n for c, n in clients.items() if c not in first}))}
        first[client_id] = int(row[0]) - count + 1
    return first


def incidents_open_many(*, openings: list[Opening]) -> list[Incident]:
    """Open one incident per opening, in order; the result is in the same order."""
    if not openings:
        return []
    for opening in openings:
        if opening.service.client_id != opening.client.pk:
            raise InvalidInput("The service belongs to another client.", field="service")
        if not opening.title.strip():
            raise InvalidInput("An incident needs a title.", field="title")
    next_number = _numbers(Counter(opening.client.pk for opening in openings))
    ranks, now = priority_ranks(), clock.now()
    incidents: list[Incident] = []
    for opening in openings:
        priority = priority_for(impact=opening.impact, urgency=opening.urgency)
        number = next_number[opening.client.pk]
        next_number[opening.client.pk] += 1
        incidents.append(
            Incident(
                client=opening.client,
                number=number,
                title=opening.title.strip()[:1024],
                service=opening.service,
                category=opening.category,
                impact=opening.impact,
                urgency=opening.urgency,
                priority=priority,
                priority_rank=ranks.get(priority, PRIORITY_RANK_UNKNOWN),
                group_key=opening.group_key,
                opened_at=now,
            )
        )
    rows_insert(incidents)
    rows_insert(
        [
            TimelineEntry(
                incident=incident,
                kind=TimelineKind.OPENED,
                actor=None,
                actor_label=opening.by,
                text=(
                    f"Opened as {incident.priority} ({opening.impact} impact, {opening.urgency} urgency) "
                    f"on {opening.service.name}"
                ),
                data={
                    "priority": incident.priority,
                    "impact": opening.impact,
                    "urgency": opening.urgency,
                    **(opening.data or {}),
                },
            )
            for incident, opening in zip(incidents, openings, strict=True)
        ]
    )
    timer_set_many(
        timers=[(kind, str(incident.pk)) for incident in incidents for kind in INCIDENT_WATCHERS], due_at=now
    )
    return incidents


def timeline_add_many(*, entries: Sequence[tuple[Incident, str, str, str, Mapping[str, Any]]]) -> None:
    """`timeline_add` for many entries by system actors: (incident, kind, text, by, data)."""
    rows_insert([
        TimelineEntry(incident=incident, kind=kind, text=text, actor=None, actor_label=by, data=dict(data))
        for incident, kind, text, by, data in entries
    ])  # fmt: skip
