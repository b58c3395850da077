"""Writes for incidents. Each checks its input, then changes the incident inside
`incident_update`: one transaction holding the incident's row lock, in which every recorded
change saves its fields, appends its timeline entry and tells the watchers (`incident_changed`).

`by` is who acted: a User, an access Actor, or a text label (an integration's name, "system").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.core.rows import row_insert
from watchkeeper.core.timers import timer_set_many
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import (
    OPEN_INCIDENT_STATUSES,
    PRIORITY_RANK_UNKNOWN,
    WAITING_STATUSES,
    Incident,
    IncidentCounter,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)
from watchkeeper.policy.selectors import category_keys, priority_for, priority_ranks
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By
from watchkeeper.tenancy.models import Client, Service

# The engine handlers that report what happened on an incident's timeline (chat posts): they
# also follow entries written outside an incident change (escalation steps, `incident_reported`).
INCIDENT_REPORTERS = ("chat.incident",)
# The engine handlers that follow every incident change: each reconciles its own state (open
# alerts, pages, SLA clocks, client messages, posted events) with the incident's, so one timer
# per (kind, incident) coalesces bursts of changes.
INCIDENT_WATCHERS = (
    "alerts.incident", "paging.incident", "sla.incident", "comms.incident", *INCIDENT_REPORTERS,
)  # fmt: skip
# The handlers that follow a resolution only (reviews: does the policy require one?); named, not
# imported, since the apps that watch incidents sit above this one.
RESOLUTION_WATCHERS = ("reviews.resolved",)


def incident_changed(*, incident: Incident) -> None:
    """Tell the watchers the incident changed. Caller is inside the transaction of the change."""
    timer_set_many(timers=[(kind, str(incident.pk)) for kind in INCIDENT_WATCHERS], due_at=clock.now())


def incident_reported(*, incident: Incident) -> None:
    """Tell the reporters a timeline entry worth reporting was added without an incident change
    (an escalation step). Caller is inside the transaction that added it."""
    timer_set_many(timers=[(kind, str(incident.pk)) for kind in INCIDENT_REPORTERS], due_at=clock.now())


def _who(by: By) -> tuple[User | None, str]:
    user = getattr(by, "user", by)
    if isinstance(user, User):
        return user, user.email
    return None, str(by or "system")


def timeline_add(
    *,
    incident: Incident,
    kind: str,
    text: str,
    by: By = "system",
    data: dict[str, Any] | None = None,
    client_visible: bool = False,
) -> TimelineEntry:
    user, label = _who(by)
    entry = TimelineEntry(
        incident=incident, kind=kind, text=text, actor=user, actor_label=label, data=data or {},
        client_visible=client_visible,
    )  # fmt: skip
    row_insert(entry)  # the hottest insert of the engine's batches: see core/rows.py
    return entry


def _next_number(client: Client) -> int:
    """The client's next incident number. Caller is inside a transaction; the UPDATE takes the
    counter row's lock, which serialises concurrent openings for one client. One statement
    in the common case (SQLite >= 3.35 and PostgreSQL both support RETURNING)."""
    table = IncidentCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 WHERE client_id = %s RETURNING last_number",  # noqa: S608
            [client.pk],
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    IncidentCounter.objects.get_or_create(client=client)  # first incident of this client
    return _next_number(client)


def incident_open(
    *,
    client: Client,
    service: Service,
    title: str,
    impact: str,
    urgency: str,
    by: By,
    description: str = "",
    category: str = "",
    group_key: str = "",
    data: dict[str, Any] | None = None,
) -> Incident:
    if service.client_id != client.pk:
        raise InvalidInput("The service belongs to another client.", field="service")
    if not title.strip():
        raise InvalidInput("An incident needs a title.", field="title")
    priority = priority_for(impact=impact, urgency=urgency)
    with transaction.atomic():
        incident = Incident(
            client=client, number=_next_number(client), title=title.strip()[:1024], description=description,
            service=service, category=category, impact=impact, urgency=urgency, priority=priority,
            priority_rank=priority_ranks().get(priority, PRIORITY_RANK_UNKNOWN),
            group_key=group_key, opened_at=clock.now(),
        )  # fmt: skip
        row_insert(incident)
        incident.client = client
        timeline_add(
            incident=incident, kind=TimelineKind.OPENED, by=by,
            text=f"Opened as {priority} ({impact} impact, {urgency} urgency) on {service.name}",
            data={"priority": priority, "impact": impact, "urgency": urgency, **(data or {})},
        )  # fmt: skip
        incident_changed(incident=incident)
    return incident


class IncidentChange:
    """A change of one locked incident by `by`, recorded as it is made (see `incident_update`)."""

    def __init__(self, incident: Incident, by: By) -> None:
        self.incident = incident
        self.by = by

    def record(
        self,
        *,
        kind: str,
        text: str,
        fields: Sequence[str] = (),
        data: dict[str, Any] | None = None,
        client_visible: bool = False,
    ) -> TimelineEntry:
        """Save the `fields` the caller changed (with `updated_at`), append the timeline entry
        and tell the watchers: the sequence every incident write ends with, written once."""
        incident = self.incident
        user, _ = _who(self.by)
        if incident.client_replied_at is not None and user is not None and access.is_staff_role(user.role):
            # A technician acted: the client's reply has been seen to.
            incident.client_replied_at = None
            fields = (*fields, "client_replied_at")
        if fields:
            incident.save(update_fields=incident.touch_fields(*fields))
            # A field saved as an expression (a counter's F() + 1) holds its new value only in
            # the database: read it back so the caller and its response see a number.
            # (`attname`: a relation's id, never a query for the related row.)
            attnames = {field.name: field.attname for field in incident._meta.concrete_fields}
            pending = [
                name for name in fields if hasattr(getattr(incident, attnames[name]), "resolve_expression")
            ]
            if pending:
                incident.refresh_from_db(fields=pending)
        entry = timeline_add(
            incident=incident, kind=kind, text=text, by=self.by, data=data, client_visible=client_visible
        )
        incident_changed(incident=incident)
        return entry


@contextmanager
def incident_update(*, incident: Incident, by: By) -> Iterator[IncidentChange]:
    """Open a transaction, lock the incident (`incident_lock`) and yield the change to make.
    The caller validates against `change.incident` (the locked, fresh row) and returns early
    for a no-op: a body that records nothing writes nothing."""
    with transaction.atomic():
        yield IncidentChange(incident_lock(incident_id=incident.pk), by)


def incident_acknowledge(*, incident: Incident, by: By) -> Incident:
    """Acknowledge: paging stops escalating, and a person who acknowledges an incident nobody
    owns becomes its owner (the policy's words: "makes you the owner"). An incident that has
    an owner keeps it; the timeline says who acknowledged. An integration's acknowledge (a
    text `by`) changes no owner."""
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.status != IncidentStatus.TRIGGERED:
            return incident  # idempotent: already acknowledged, resolved or closed
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.acknowledged_at = clock.now()
        user, _ = _who(by)
        text = "Acknowledged"
        if user is not None and incident.owner_id not in (None, user.pk):
            text = f"Acknowledged by {_name(user)}; {_name(incident.owner)} stays the owner"
        change.record(
            fields=("status", "acknowledged_at"), kind=TimelineKind.STATUS, text=text,
            data={"status": "acknowledged"},
        )  # fmt: skip
        if (
            user is not None
            and incident.owner_id is None
            and access.may_work_on(user, client_id=incident.client_id)
        ):
            incident.owner = user
            change.record(
                fields=("owner",), kind=TimelineKind.OWNER, text=f"Owner: {_name(user)} (acknowledged it)",
                data={"owner": user.pk, "acknowledged": True},
            )  # fmt: skip
    return incident


def _name(user: User | None) -> str:
    return (user.full_name or user.email) if user is not None else "nobody"


def incident_set_waiting(*, incident: Incident, by: By, status: str, note: str = "") -> Incident:
    """Put an open incident on hold: waiting on the client or on a vendor (SLA pause statuses).
    Leaving *triggered* this way also acknowledges it."""
    if status not in WAITING_STATUSES:
        raise InvalidInput("status must be waiting_client or waiting_vendor.", field="status")
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.status == status:
            return incident
        if incident.status not in OPEN_INCIDENT_STATUSES:
            raise Conflict(f"{incident.reference} is {incident.status_text}; only an open incident can wait.")
        incident.status = status
        fields = ["status"]
        if incident.acknowledged_at is None:
            incident.acknowledged_at = clock.now()
            fields.append("acknowledged_at")
        label, note = IncidentStatus(status).label, note.strip()
        # What the MSP needs from the client is for the client: that entry is client-visible
        # (the portal shows it as what is needed). A note about a vendor stays internal.
        shared = status == IncidentStatus.WAITING_CLIENT and bool(note)
        data = {"status": status, **({"note": note} if note else {})}
        change.record(
            fields=fields, kind=TimelineKind.STATUS, data=data, text=label + (f": {note}" if note else ""),
            client_visible=shared,
        )  # fmt: skip
    return incident


def incident_resume(*, incident: Incident, by: By, note: str = "") -> Incident:
    """End the wait: back to acknowledged (idempotent when not waiting)."""
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.status not in WAITING_STATUSES:
            return incident
        incident.status = IncidentStatus.ACKNOWLEDGED
        change.record(
            fields=("status",), kind=TimelineKind.STATUS, data={"status": "acknowledged"},
            text="Resumed" + (f": {note.strip()}" if note.strip() else ""),
        )  # fmt: skip
    return incident


def incident_resolve(*, incident: Incident, by: By, note: str = "", client_visible: bool = False) -> Incident:
    """Resolve. With `client_visible`, the resolution note is shared with the client (their
    portal shows it as how it was fixed); without a note there is nothing to share."""
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.status not in OPEN_INCIDENT_STATUSES:
            return incident
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = clock.now()
        change.record(
            fields=("status", "resolved_at"), kind=TimelineKind.STATUS,
            data={"status": "resolved", **({"note": note} if note else {})},
            text="Resolved" + (f": {note}" if note else ""), client_visible=client_visible and bool(note),
        )  # fmt: skip
        timer_set_many(timers=[(kind, str(incident.pk)) for kind in RESOLUTION_WATCHERS], due_at=clock.now())
    return incident


def incident_reopen(*, incident: Incident, by: By, reason: str = "") -> Incident:
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.status != IncidentStatus.RESOLVED:
            raise Conflict(
                f"Only a resolved incident can be reopened ({incident.reference} is {incident.status_text})."
            )
        incident.status = IncidentStatus.TRIGGERED
        incident.resolved_at = None
        incident.reopened_count = F("reopened_count") + 1
        change.record(
            fields=("status", "resolved_at", "reopened_count"), kind=TimelineKind.STATUS,
            data={"status": "triggered"}, text="Reopened" + (f": {reason}" if reason else ""),
        )  # fmt: skip
    return incident


def incident_close(*, incident: Incident, by: By) -> Incident:
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.status != IncidentStatus.RESOLVED:
            raise Conflict(f"Resolve {incident.reference} before closing it.")
        incident.status = IncidentStatus.CLOSED
        incident.closed_at = clock.now()
        change.record(
            fields=("status", "closed_at"), kind=TimelineKind.STATUS, text="Closed", data={"status": "closed"}
        )
    return incident


def incident_note(*, incident: Incident, by: By, text: str, client_visible: bool = False) -> TimelineEntry:
    """Add a note. A client-visible note is an update the client sees (portal, e-mail); it counts
    as a response and restarts the client-update clock for SLA."""
    if not text.strip():
        raise InvalidInput("A note needs some text.", field="text")
    if len(text) > 20_000:
        raise InvalidInput("A note can be at most 20,000 characters.", field="text")
    with incident_update(incident=incident, by=by) as change:
        return change.record(kind=TimelineKind.NOTE, text=text.strip(), client_visible=client_visible)


def incident_set_priority(*, incident: Incident, by: By, impact: str, urgency: str) -> Incident:
    priority = priority_for(impact=impact, urgency=urgency)  # InvalidInput names an unknown level
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if (incident.impact, incident.urgency) == (impact, urgency):
            return incident
        before = incident.priority
        incident.impact, incident.urgency, incident.priority = impact, urgency, priority
        incident.priority_rank = priority_ranks().get(priority, PRIORITY_RANK_UNKNOWN)
        change.record(
            fields=("impact", "urgency", "priority", "priority_rank"), kind=TimelineKind.PRIORITY,
            text=f"Priority {before} → {priority} ({impact} impact, {urgency} urgency)",
            data={"from": before, "to": priority, "impact": impact, "urgency": urgency},
        )  # fmt: skip
    return incident


def incident_assign(*, incident: Incident, by: By, owner: User | None) -> Incident:
    """Make `owner` the incident's owner (None: nobody). The owner must see the client."""
    if owner is not None and not access.may_work_on(owner, client_id=incident.client_id):
        raise InvalidInput(f"{owner} cannot work on {incident.client.name}'s incidents.", field="owner")
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.owner_id == (owner.pk if owner else None):
            return incident
        incident.owner = owner
        change.record(
            fields=("owner",), kind=TimelineKind.OWNER, data={"owner": owner.pk if owner else None},
            text=f"Owner: {owner.full_name}" if owner else "Owner removed",
        )  # fmt: skip
    return incident


def incident_hand_off(*, incident: Incident, by: By, to: User, note: str) -> Incident:
    """Give the incident to `to` with a hand-off note (what is known, what is next). The note
    is the point of a hand-off, so it is required."""
    if not note.strip():
        raise InvalidInput("A hand-off needs a note: what is known and what is next.", field="note")
    if len(note) > 20_000:
        raise InvalidInput("A hand-off note can be at most 20,000 characters.", field="note")
    if not access.may_work_on(to, client_id=incident.client_id):
        raise InvalidInput(f"{to} cannot work on {incident.client.name}'s incidents.", field="owner")
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if not incident.is_open:
            raise Conflict(f"{incident.reference} is {incident.status_text}: there is nothing to hand off.")
        before = incident.owner_id
        incident.owner = to
        change.record(
            fields=("owner",), kind=TimelineKind.OWNER,
            text=f"Handed off to {to.full_name or to.email}: {note.strip()}",
            data={"owner": to.pk, "from": before, "handoff": True},
        )  # fmt: skip
    return incident


def incident_set_category(*, incident: Incident, by: By, category: str) -> Incident:
    """Set the policy category ("" for none); an unknown category is a 400."""
    if category and category not in category_keys():
        raise InvalidInput(
            f"Unknown category '{category}' (known: {', '.join(category_keys())}).", field="category"
        )
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if incident.category == category:
            return incident
        before = incident.category
        incident.category = category
        change.record(
            fields=("category",), kind=TimelineKind.CATEGORY,
            text=f"Category: {category or 'none'}" + (f" (was {before})" if before else ""),
            data={"from": before, "to": category},
        )  # fmt: skip
    return incident


def incident_priority_ranks_refresh() -> int:
    """Bring every incident's `priority_rank` in line with the policy's priority order (after
    the MSP reorders or renames priorities). One UPDATE per priority; touches nothing when all
    agree. Returns the number of incidents changed. The engine runs it every minute."""
    ranks = priority_ranks()
    changed = 0
    with transaction.atomic():
        for key, rank in ranks.items():
            changed += (
                Incident.objects.filter(priority=key).exclude(priority_rank=rank).update(priority_rank=rank)
            )
        changed += (
            Incident.objects.exclude(priority__in=list(ranks))
            .exclude(priority_rank=PRIORITY_RANK_UNKNOWN)
            .update(priority_rank=PRIORITY_RANK_UNKNOWN)
        )
    return changed
