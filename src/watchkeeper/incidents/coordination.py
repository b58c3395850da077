"""Writes for working an incident together: responders with roles, merging duplicates, and
the queue's bulk actions. Same rules as services.py: every change runs in `incident_update`
(the incident's row lock; a timeline entry and `incident_changed` per recorded change)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput, WatchkeeperError
from watchkeeper.incidents import selectors
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import (
    OPEN_INCIDENT_STATUSES,
    Incident,
    IncidentStatus,
    Responder,
    ResponderRole,
    TimelineKind,
)
from watchkeeper.incidents.services import (
    IncidentChange,
    incident_acknowledge,
    incident_assign,
    incident_update,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By

BULK_LIMIT = 200  # one page of the queue at most


def responder_add(*, incident: Incident, by: By, user: User, role: str) -> Responder:
    """Add `user` as a responder in `role`, or change the role they have. The user must work
    on the incident's client."""
    if role not in ResponderRole.values:
        raise InvalidInput(f"Unknown role '{role}' (known: {', '.join(ResponderRole.values)}).", field="role")
    if not access.may_work_on(user, client_id=incident.client_id):
        raise InvalidInput(f"{user} cannot work on {incident.client.name}'s incidents.", field="user")
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        responder, created = Responder.objects.get_or_create(
            incident=incident, user=user, defaults={"role": role, "added_at": clock.now()}
        )
        if not created and responder.role == role:
            return responder
        if not created:
            responder.role = role
            responder.save(update_fields=["role"])
        label = ResponderRole(role).label.lower()
        change.record(
            kind=TimelineKind.RESPONDER,
            text=f"{user.full_name or user.email} {'joins' if created else 'is now'} as {label}",
            data={"user": user.pk, "role": role},
        )
    return responder


def responder_remove(*, incident: Incident, by: By, user: User) -> None:
    with incident_update(incident=incident, by=by) as change:
        deleted, _ = Responder.objects.filter(incident=change.incident, user=user).delete()
        if not deleted:
            return
        change.record(
            kind=TimelineKind.RESPONDER,
            text=f"{user.full_name or user.email} is no longer a responder",
            data={"user": user.pk, "role": None},
        )


def incident_merge_check(*, source: Incident, target: Incident) -> None:
    """Raise unless `source` can be merged into `target`: two incidents of one client, the
    target open, the source not merged already. The console asks before it merges."""
    if source.pk == target.pk:
        raise InvalidInput("An incident cannot be merged into itself.", field="target")
    if source.client_id != target.client_id:
        raise InvalidInput("Only incidents of the same client can be merged.", field="target")
    if target.status not in OPEN_INCIDENT_STATUSES:
        raise Conflict(f"{target.reference} is {target.status_text}: merge into an open incident.")
    if source.merged_into_id is not None:
        raise Conflict(f"{source.reference} was already merged.")


def incident_merge(*, source: Incident, target: Incident, by: By) -> Incident:
    """Merge `source` into `target`: its alerts move to the target, both timelines say so, and
    the source is resolved with a pointer to the target. Both belong to one client; the target
    must be open. Locks are taken in id order so two opposite merges cannot deadlock."""
    with transaction.atomic():
        first, second = sorted((source, target), key=lambda incident: incident.pk)
        locked = {pk: incident_lock(incident_id=pk) for pk in (first.pk, second.pk)}
        source, target = locked[source.pk], locked[target.pk]
        incident_merge_check(source=source, target=target)  # on the locked, fresh rows
        moved = source.alerts.update(incident=target)
        alerts = f"{moved} alert{'s' if moved != 1 else ''}"
        now = clock.now()
        source.status, source.merged_into = IncidentStatus.RESOLVED, target
        source.resolved_at = source.resolved_at or now
        IncidentChange(source, by).record(
            fields=("status", "merged_into", "resolved_at"), kind=TimelineKind.MERGE,
            text=f"Merged into {target.reference}; resolved here ({alerts} moved)",
            data={"into": target.pk, "alerts": moved, "status": "resolved"},
        )  # fmt: skip
        IncidentChange(target, by).record(
            kind=TimelineKind.MERGE, text=f"{source.reference} merged in: {source.title} ({alerts})",
            data={"from": source.pk, "alerts": moved},
        )  # fmt: skip
    return target


@dataclass
class BulkResult:
    """What a bulk action did: references changed, unchanged, and refused with the reason."""

    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def summary(self, verb: str) -> str:
        parts = [f"{verb} {len(self.done)} incident{'s' if len(self.done) != 1 else ''}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.refused:
            parts.append(f"refused: {'; '.join(self.refused)}")
        return ", ".join(parts) + "."


def _each(actor: Any, ids: Iterable[int]) -> Iterable[Incident | str]:
    """The incidents the actor may act on, or the refusal for each id it may not."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > BULK_LIMIT:
        raise InvalidInput(f"At most {BULK_LIMIT} incidents at once.", field="incident")
    visible = {incident.pk: incident for incident in selectors.incident_list(actor=actor).filter(pk__in=ids)}
    for pk in ids:
        incident = visible.get(pk)
        if incident is None:
            yield f"#{pk} not found"
        elif not access.can(actor, "incidents.respond", client=incident.client):
            yield f"{incident.reference}: you may not act on it"
        else:
            yield incident


def incident_bulk_acknowledge(*, actor: Any, ids: Iterable[int]) -> BulkResult:
    """Acknowledge each incident in its own transaction: one refusal does not undo the others."""
    result = BulkResult()
    for item in _each(actor, ids):
        if isinstance(item, str):
            result.refused.append(item)
            continue
        was = item.status
        incident_acknowledge(incident=item, by=actor)
        (result.done if was == IncidentStatus.TRIGGERED else result.unchanged).append(item.reference)
    return result


def incident_bulk_assign(*, actor: Any, ids: Iterable[int], owner: User | None) -> BulkResult:
    result = BulkResult()
    for item in _each(actor, ids):
        if isinstance(item, str):
            result.refused.append(item)
            continue
        if item.owner_id == (owner.pk if owner else None):
            result.unchanged.append(item.reference)
            continue
        try:
            incident_assign(incident=item, by=actor, owner=owner)
        except WatchkeeperError as exc:
            result.refused.append(f"{item.reference}: {exc.message}")
        else:
            result.done.append(item.reference)
    return result
