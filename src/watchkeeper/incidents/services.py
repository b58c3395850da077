"""Writes for incidents. Each takes the incident's row lock, changes it, and appends to the
timeline in the same transaction.

`by` is who acted: a User, an access Actor, or a text label (an integration's name, "system").
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import F

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.core.rows import row_insert
from watchkeeper.core.timers import timer_set_many
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

# The engine handlers that follow every incident change: each reconciles its own state (pages,
# SLA clocks) with the incident's, so one timer per (kind, incident) coalesces bursts of changes.
INCIDENT_WATCHERS = ("paging.incident", "sla.incident")


def incident_changed(*, incident: Incident) -> None:
    """Tell the watchers the incident changed. Caller is inside the transaction of the change."""
    timer_set_many(timers=[(kind, str(incident.pk)) for kind in INCIDENT_WATCHERS], due_at=clock.now())


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


def _locked(incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update().select_related("client", "service").get(pk=incident.pk)
    return locked


def incident_acknowledge(*, incident: Incident, by: By) -> Incident:
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != IncidentStatus.TRIGGERED:
            return incident  # idempotent: already acknowledged, resolved or closed
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.acknowledged_at = clock.now()
        incident.save(update_fields=incident.touch_fields("status", "acknowledged_at"))
        timeline_add(
            incident=incident,
            kind=TimelineKind.STATUS,
            by=by,
            text="Acknowledged",
            data={"status": "acknowledged"},
        )
        incident_changed(incident=incident)
    return incident


def incident_set_waiting(*, incident: Incident, by: By, status: str, note: str = "") -> Incident:
    """Put an open incident on hold: waiting on the client or on a vendor (SLA pause statuses).
    Leaving *triggered* this way also acknowledges it."""
    if status not in WAITING_STATUSES:
        raise InvalidInput("status must be waiting_client or waiting_vendor.", field="status")
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status == status:
            return incident
        if incident.status not in OPEN_INCIDENT_STATUSES:
            raise Conflict(f"{incident.reference} is {incident.status}; only an open incident can wait.")
        incident.status = status
        fields = ["status"]
        if incident.acknowledged_at is None:
            incident.acknowledged_at = clock.now()
            fields.append("acknowledged_at")
        incident.save(update_fields=incident.touch_fields(*fields))
        label = IncidentStatus(status).label
        timeline_add(
            incident=incident, kind=TimelineKind.STATUS, by=by, data={"status": status},
            text=label + (f": {note.strip()}" if note.strip() else ""),
        )  # fmt: skip
        incident_changed(incident=incident)
    return incident


def incident_resume(*, incident: Incident, by: By, note: str = "") -> Incident:
    """End the wait: back to acknowledged (idempotent when not waiting)."""
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status not in WAITING_STATUSES:
            return incident
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.save(update_fields=incident.touch_fields("status"))
        timeline_add(
            incident=incident, kind=TimelineKind.STATUS, by=by, data={"status": "acknowledged"},
            text="Resumed" + (f": {note.strip()}" if note.strip() else ""),
        )  # fmt: skip
        incident_changed(incident=incident)
    return incident


def incident_resolve(*, incident: Incident, by: By, note: str = "") -> Incident:
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status not in OPEN_INCIDENT_STATUSES:
            return incident
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = clock.now()
        incident.save(update_fields=incident.touch_fields("status", "resolved_at"))
        text = "Resolved" + (f": {note}" if note else "")
        timeline_add(
            incident=incident, kind=TimelineKind.STATUS, by=by, text=text, data={"status": "resolved"}
        )
        incident_changed(incident=incident)
    return incident


def incident_reopen(*, incident: Incident, by: By, reason: str = "") -> Incident:
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != IncidentStatus.RESOLVED:
            raise Conflict(
                f"Only a resolved incident can be reopened ({incident.reference} is {incident.status})."
            )
        incident.status = IncidentStatus.TRIGGERED
        incident.resolved_at = None
        incident.reopened_count = F("reopened_count") + 1
        incident.save(update_fields=incident.touch_fields("status", "resolved_at", "reopened_count"))
        incident.refresh_from_db(fields=["reopened_count"])
        text = "Reopened" + (f": {reason}" if reason else "")
        timeline_add(
            incident=incident, kind=TimelineKind.STATUS, by=by, text=text, data={"status": "triggered"}
        )
        incident_changed(incident=incident)
    return incident


def incident_close(*, incident: Incident, by: By) -> Incident:
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != IncidentStatus.RESOLVED:
            raise Conflict(f"Resolve {incident.reference} before closing it.")
        incident.status = IncidentStatus.CLOSED
        incident.closed_at = clock.now()
        incident.save(update_fields=incident.touch_fields("status", "closed_at"))
        timeline_add(
            incident=incident, kind=TimelineKind.STATUS, by=by, text="Closed", data={"status": "closed"}
        )
        incident_changed(incident=incident)
    return incident


def incident_note(*, incident: Incident, by: By, text: str, client_visible: bool = False) -> TimelineEntry:
    """Add a note. A client-visible note is an update the client sees (portal, e-mail); it counts
    as a response and restarts the client-update clock for SLA."""
    if not text.strip():
        raise InvalidInput("A note needs some text.", field="text")
    if len(text) > 20_000:
        raise InvalidInput("A note can be at most 20,000 characters.", field="text")
    with transaction.atomic():
        incident = _locked(incident)
        entry = timeline_add(
            incident=incident, kind=TimelineKind.NOTE, by=by, text=text.strip(), client_visible=client_visible
        )
        incident_changed(incident=incident)
        return entry


def incident_set_priority(*, incident: Incident, by: By, impact: str, urgency: str) -> Incident:
    priority = priority_for(impact=impact, urgency=urgency)  # InvalidInput names an unknown level
    with transaction.atomic():
        incident = _locked(incident)
        if (incident.impact, incident.urgency) == (impact, urgency):
            return incident
        before = incident.priority
        incident.impact, incident.urgency, incident.priority = impact, urgency, priority
        incident.priority_rank = priority_ranks().get(priority, PRIORITY_RANK_UNKNOWN)
        incident.save(update_fields=incident.touch_fields("impact", "urgency", "priority", "priority_rank"))
        timeline_add(
            incident=incident, kind=TimelineKind.PRIORITY, by=by,
            text=f"Priority {before} → {priority} ({impact} impact, {urgency} urgency)",
            data={"from": before, "to": priority, "impact": impact, "urgency": urgency},
        )  # fmt: skip
        incident_changed(incident=incident)
    return incident


def incident_assign(*, incident: Incident, by: By, owner: User | None) -> Incident:
    """Make `owner` the incident's owner (None: nobody). The owner must see the client."""
    if owner is not None and (
        not owner.is_msp or not access.visible_clients(owner).filter(pk=incident.client_id).exists()
    ):
        raise InvalidInput(f"{owner} cannot work on {incident.client.name}'s incidents.", field="owner")
    with transaction.atomic():
        incident = _locked(incident)
        if incident.owner_id == (owner.pk if owner else None):
            return incident
        incident.owner = owner
        incident.save(update_fields=incident.touch_fields("owner"))
        text = f"Owner: {owner.full_name}" if owner else "Owner removed"
        timeline_add(
            incident=incident,
            kind=TimelineKind.OWNER,
            by=by,
            text=text,
            data={"owner": owner.pk if owner else None},
        )
        incident_changed(incident=incident)
    return incident


def incident_hand_off(*, incident: Incident, by: By, to: User, note: str) -> Incident:
    """Give the incident to `to` with a hand-off note (what is known, what is next). The note
    is the point of a hand-off, so it is required."""
    if not note.strip():
        raise InvalidInput("A hand-off needs a note: what is known and what is next.", field="note")
    if len(note) > 20_000:
        raise InvalidInput("A hand-off note can be at most 20,000 characters.", field="note")
    if not to.is_msp or not access.visible_clients(to).filter(pk=incident.client_id).exists():
        raise InvalidInput(f"{to} cannot work on {incident.client.name}'s incidents.", field="owner")
    with transaction.atomic():
        incident = _locked(incident)
        if not incident.is_open:
            raise Conflict(f"{incident.reference} is {incident.status}: there is nothing to hand off.")
        before = incident.owner_id
        incident.owner = to
        incident.save(update_fields=incident.touch_fields("owner"))
        timeline_add(
            incident=incident, kind=TimelineKind.OWNER, by=by,
            text=f"Handed off to {to.full_name or to.email}: {note.strip()}",
            data={"owner": to.pk, "from": before, "handoff": True},
        )  # fmt: skip
        incident_changed(incident=incident)
    return incident


def incident_set_category(*, incident: Incident, by: By, category: str) -> Incident:
    """Set the policy category ("" for none); an unknown category is a 400."""
    if category and category not in category_keys():
        raise InvalidInput(
            f"Unknown category '{category}' (known: {', '.join(category_keys())}).", field="category"
        )
    with transaction.atomic():
        incident = _locked(incident)
        if incident.category == category:
            return incident
        before = incident.category
        incident.category = category
        incident.save(update_fields=incident.touch_fields("category"))
        timeline_add(
            incident=incident, kind=TimelineKind.CATEGORY, by=by,
            text=f"Category: {category or 'none'}" + (f" (was {before})" if before else ""),
            data={"from": before, "to": category},
        )  # fmt: skip
        incident_changed(incident=incident)
    return incident


def incident_comment(*, incident: Incident, by: User, text: str) -> TimelineEntry:
    """A client user's comment from the portal: a client-visible entry by that user. It
    notifies nobody yet (paging and comms pick it up from the timeline). The caller checked
    that `by` may comment on this incident."""
    if not text.strip():
        raise InvalidInput("A comment needs some text.", field="text")
    if len(text) > 5_000:
        raise InvalidInput("A comment can be at most 5,000 characters.", field="text")
    with transaction.atomic():
        incident = _locked(incident)
        entry = timeline_add(
            incident=incident, kind=TimelineKind.COMMENT, by=by, text=text.strip(), client_visible=True
        )
        incident_changed(incident=incident)
        return entry


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
