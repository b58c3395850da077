"""REST adapters for incidents and the actions on them. Thin: access, selectors and services decide.

Every action answers with the incident as `GET /incidents/{id}` shows it, timeline included.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from watchkeeper.accounts import selectors as accounts
from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.incidents import selectors, services
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.schemas import (
    IncidentAssignIn,
    IncidentDetailOut,
    IncidentNoteIn,
    IncidentOpenIn,
    IncidentOut,
    IncidentPriorityIn,
    IncidentReopenIn,
    IncidentResolveIn,
    IncidentWaitIn,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Service

router = Router(tags=["incidents"])

# Query parameters with descriptions, built once (they are declarations, not values).
_STATUS = Query([], description="triggered, acknowledged, resolved, closed or open; repeat or comma-separate")
_PRIORITY = Query([], description="e.g. P1; repeat or comma-separate")
_OWNER = Query("", description="A user id, 'me' or 'none' (nobody)")
_SEARCH = Query("", description="Words of the title, or a reference such as ACME-42")


def _actor(request: HttpRequest) -> access.Actor:
    return request.auth  # type: ignore[attr-defined]


def _owner_filter(request: HttpRequest, owner: str) -> selectors.OwnerFilter | None:
    if not owner:
        return None
    if owner == "me":
        return selectors.OwnerFilter(user_id=_actor(request).user.pk)
    if owner == "none":
        return selectors.OwnerFilter(unowned=True)
    if owner.isdigit():
        return selectors.OwnerFilter(user_id=int(owner))
    raise InvalidInput(f"owner must be a user id, 'me' or 'none' (got '{owner}').", field="owner")


def _respondable(request: HttpRequest, incident_id: int) -> Incident:
    """The incident, if the actor may see it (404) and act on it (403)."""
    incident = selectors.incident_access(actor=_actor(request), pk=incident_id)
    access.require(_actor(request), "incidents.respond", client=incident.client)
    return incident


def _detail(request: HttpRequest, incident_id: int) -> Incident:
    return selectors.incident_detail(actor=_actor(request), pk=incident_id)


@router.get("/incidents", response=list[IncidentOut])
@paginate(LimitOffsetPagination)
def list_incidents(
    request: HttpRequest,
    client: str | None = None,
    status: list[str] = _STATUS,
    priority: list[str] = _PRIORITY,
    service: int | None = None,
    owner: str = _OWNER,
    q: str = _SEARCH,
) -> QuerySet[Incident]:
    return selectors.incident_list(
        actor=_actor(request), client=access.client_access(_actor(request), client) if client else None,
        status=status, priority=priority, service=service, owner=_owner_filter(request, owner), query=q,
    )  # fmt: skip


@router.post("/incidents", response={201: IncidentDetailOut})
def open_incident(request: HttpRequest, body: IncidentOpenIn) -> Status[Incident]:
    """Open an incident by hand; it starts triggered, with you as the opener on its timeline."""
    actor = _actor(request)
    client = access.client_reference(actor, body.client)
    access.require(actor, "incidents.open", client=client)
    service = access.reference(
        actor, Service.objects.filter(client=client), label="service", pk=body.service_id
    )
    incident = services.incident_open(
        client=client, service=service, title=body.title, description=body.description,
        impact=body.impact, urgency=body.urgency, category=body.category, by=actor,
    )  # fmt: skip
    return Status(201, _detail(request, incident.pk))


@router.get("/incidents/{incident_id}", response=IncidentDetailOut)
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/acknowledge", response=IncidentDetailOut)
def acknowledge_incident(request: HttpRequest, incident_id: int) -> Incident:
    services.incident_acknowledge(incident=_respondable(request, incident_id), by=_actor(request))
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/resolve", response=IncidentDetailOut)
def resolve_incident(
    request: HttpRequest, incident_id: int, body: IncidentResolveIn | None = None
) -> Incident:
    note = body.note if body else ""
    services.incident_resolve(incident=_respondable(request, incident_id), by=_actor(request), note=note)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/reopen", response=IncidentDetailOut)
def reopen_incident(request: HttpRequest, incident_id: int, body: IncidentReopenIn | None = None) -> Incident:
    reason = body.reason if body else ""
    services.incident_reopen(incident=_respondable(request, incident_id), by=_actor(request), reason=reason)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/close", response=IncidentDetailOut)
def close_incident(request: HttpRequest, incident_id: int) -> Incident:
    services.incident_close(incident=_respondable(request, incident_id), by=_actor(request))
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/notes", response=IncidentDetailOut)
def add_incident_note(request: HttpRequest, incident_id: int, body: IncidentNoteIn) -> Incident:
    services.incident_note(incident=_respondable(request, incident_id), by=_actor(request), text=body.text)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/priority", response=IncidentDetailOut)
def set_incident_priority(request: HttpRequest, incident_id: int, body: IncidentPriorityIn) -> Incident:
    services.incident_set_priority(
        incident=_respondable(request, incident_id),
        by=_actor(request),
        impact=body.impact,
        urgency=body.urgency,
    )
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/assign", response=IncidentDetailOut)
def assign_incident(request: HttpRequest, incident_id: int, body: IncidentAssignIn) -> Incident:
    incident = _respondable(request, incident_id)
    services.incident_assign(incident=incident, by=_actor(request), owner=_new_owner(request, body.owner))
    return _detail(request, incident_id)


def _new_owner(request: HttpRequest, owner_id: int | None) -> User | None:
    """The user a write names as owner; one the actor cannot see answers 400, not 404."""
    if owner_id is None:
        return None
    try:
        return accounts.user_access(actor=_actor(request), pk=owner_id)
    except NotFound:
        raise InvalidInput(f"Unknown user {owner_id}.", field="owner") from None


@router.post("/incidents/{incident_id}/wait", response=IncidentDetailOut)
def wait_incident(request: HttpRequest, incident_id: int, body: IncidentWaitIn) -> Incident:
    """Waiting on the client or a vendor: pauses the SLA resolution clock."""
    incident = _respondable(request, incident_id)
    services.incident_set_waiting(incident=incident, by=_actor(request), status=body.status, note=body.note)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/resume", response=IncidentDetailOut)
def resume_incident(request: HttpRequest, incident_id: int) -> Incident:
    services.incident_resume(incident=_respondable(request, incident_id), by=_actor(request))
    return _detail(request, incident_id)
