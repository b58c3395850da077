"""The cadence's two moments, run by the engine's timers: before the next client update is due
the owner (or the communications lead) is reminded; when it is due and none was sent, the
incident is marked overdue and the managers are told. Each handler is fenced on the due time
its timer was set for, and each notice is sent once (paging's outbox, deduplicated by key)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.comms.messages import when
from watchkeeper.comms.models import IncidentComms
from watchkeeper.core.humanize import duration_text
from watchkeeper.incidents.models import ResponderRole
from watchkeeper.paging.services.notify import notification_send
from watchkeeper.tenancy import access


def _locked(incident_id: int, due: str) -> IncidentComms | None:
    """The state under its lock if it still has the due time `due` and the incident is open."""
    state = (
        IncidentComms.objects.select_for_update(of=("self",))
        .select_related("incident__client", "incident__owner")
        .filter(incident_id=incident_id)
        .first()
    )
    if state is None or state.next_update_due_at is None or not state.incident.is_open:
        return None
    if state.next_update_due_at != dt.datetime.fromisoformat(due):
        return None  # an update came in since the timer was set: it was re-set for the new time
    return state


def reminded_people(state: IncidentComms) -> list[User]:
    """The communications lead(s), else the owner, else the managers of the client."""
    incident = state.incident
    leads = [
        r.user
        for r in incident.responders.filter(role=ResponderRole.COMMUNICATIONS).select_related("user")
        if r.user.is_active
    ]
    if leads:
        return leads
    if incident.owner is not None and incident.owner.is_active:
        return [incident.owner]
    return list(access.managers_for(incident.client))


def comms_remind(*, incident_id: int, due: str, now: dt.datetime) -> int:
    """Remind who updates the client that the next update is due soon; returns how many."""
    with transaction.atomic():
        state = _locked(incident_id, due)
        due_at = state.next_update_due_at if state is not None else None
        if state is None or due_at is None or state.reminded_for == due_at:
            return 0
        incident = state.incident
        state.reminded_for = due_at
        state.save(update_fields=["reminded_for"])
        people = reminded_people(state)
        left = duration_text(max(due_at - now, dt.timedelta(0)))
        for user in people:
            notification_send(
                user=user, incident=incident, urgency="low",
                subject=f"[{incident.reference}] Client update due in {left}",
                text=f"The next update to {incident.client.name} about {incident.reference} "
                     f"({incident.title}) is due by {when(due_at, user.zone.key)}."
                     "\nSend it from the incident page.",
                dedup_key=f"comms:{incident.pk}:remind:{due}",
            )  # fmt: skip
        return len(people)


def comms_overdue(*, incident_id: int, due: str, now: dt.datetime) -> int:
    """The update is due and none was sent: mark the incident overdue and tell the managers
    (the owner too, when nobody manages the client); returns how many were told."""
    with transaction.atomic():
        state = _locked(incident_id, due)
        due_at = state.next_update_due_at if state is not None else None
        if state is None or due_at is None or state.overdue_since is not None or due_at > now:
            return 0
        incident = state.incident
        state.overdue_since = due_at
        state.save(update_fields=["overdue_since"])
        people = list(access.managers_for(incident.client))
        if not people and incident.owner is not None and incident.owner.is_active:
            people = [incident.owner]
        owner = incident.owner.email if incident.owner else "nobody"
        for user in people:
            notification_send(
                user=user, incident=incident, urgency="high",
                subject=f"[{incident.reference}] Client update overdue",
                text=f"{incident.client.name} was due an update about {incident.reference} "
                     f"({incident.title}) and none was sent. Owner: {owner}.",
                dedup_key=f"comms:{incident.pk}:overdue:{due}",
            )  # fmt: skip
        return len(people)
