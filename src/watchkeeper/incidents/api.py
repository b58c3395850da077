"""REST adapters for incidents and the actions on them. Thin: access, selectors and services decide.

Every action answers with the incident as `GET /incidents/{id}` shows it, timeline included.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from watchkeeper.accounts import selectors as accounts
from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.core.pagination import ApiPagination, paginated
from watchkeeper.core.schemas import Id
from watchkeeper.incidents import coordination, selectors, services
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.schemas import (
    BulkIn,
    BulkOut,
    IncidentAssignIn,
    IncidentCategoryIn,
    IncidentDetailOut,
    IncidentHandOffIn,
    IncidentMergeIn,
    IncidentNoteIn,
    IncidentOpenIn,
    IncidentOut,
    IncidentPriorityIn,
    IncidentReopenIn,
    IncidentResolveIn,
    IncidentResponderIn,
    IncidentWaitIn,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Service

router = Router(tags=["incidents"])


class IncidentPagination(ApiPagination):
    """Limit/offset in two steps (ids, then those rows: `selectors.incident_rows`), with each
    page's `alert_count` read in one query for that page only."""

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        ids_only = queryset.values_list("pk", flat=True)
        result = super().paginate_queryset(ids_only, pagination, request, **params)
        ids = list(result[self.items_attribute])
        result[self.items_attribute] = selectors.incident_rows(queryset, ids)
        return result


# Query parameters with descriptions, built once (they are declarations, not values).
_STATUS = Query([], description="triggered, acknowledged, resolved, closed or open; repeat or comma-separate")
_PRIORITY = Query([], description="e.g. P1; repeat or comma-separate")
_OWNER = Query("", description="A user id, 'me' or 'none' (nobody)")
_SEARCH = Query("", description="Words of the title, or a reference such as ACME-42")


def _owner_filter(request: ApiRequest, owner: str) -> selectors.OwnerFilter | None:
    if not owner:
        return None
    if owner == "me":
        return selectors.OwnerFilter(user_id=request.auth.user.pk)
    if owner == "none":
        return selectors.OwnerFilter(unowned=True)
    if owner.isdigit():
        return selectors.OwnerFilter(user_id=int(owner))
    raise InvalidInput(f"owner must be a user id, 'me' or 'none' (got '{owner}').", field="owner")


def _respondable(request: ApiRequest, incident_id: int) -> Incident:
    """The incident, if the actor may see it (404) and act on it (403)."""
    incident = selectors.incident_access(actor=request.auth, pk=incident_id)
    access.require(request.auth, "incidents.respond", client=incident.client)
    return incident


def _detail(request: ApiRequest, incident_id: int) -> Incident:
    return selectors.incident_detail(actor=request.auth, pk=incident_id)


@router.get("/incidents", response=list[IncidentOut])
@paginated(IncidentPagination)
def list_incidents(
    request: ApiRequest,
    client: str | None = None,
    status: list[str] = _STATUS,
    priority: list[str] = _PRIORITY,
    service: Id | None = None,
    owner: str = _OWNER,
    q: str = _SEARCH,
) -> QuerySet[Incident]:
    return selectors.incident_list(
        actor=request.auth, client=access.client_access(request.auth, client) if client else None,
        status=status, priority=priority, service=service, owner=_owner_filter(request, owner), query=q,
    )  # fmt: skip


@router.post("/incidents", response={201: IncidentDetailOut})
def open_incident(request: ApiRequest, body: IncidentOpenIn) -> Status[Incident]:
    """Open an incident by hand; it starts triggered, with you as the opener on its timeline."""
    actor = request.auth
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


# Before /incidents/{incident_id}: the path converter would take 'bulk' for an id.
@router.post("/incidents/bulk", response=BulkOut)
def bulk_incidents(request: ApiRequest, body: BulkIn) -> coordination.BulkResult:
    """Acknowledge or assign several incidents; each is checked and changed on its own."""
    actor = request.auth
    if body.action == "acknowledge":
        return coordination.incident_bulk_acknowledge(actor=actor, ids=body.incidents)
    if body.action == "assign":
        owner = _new_owner(request, body.owner)
        return coordination.incident_bulk_assign(actor=actor, ids=body.incidents, owner=owner)
    raise InvalidInput("action must be acknowledge or assign.", field="action")


@router.get("/incidents/{incident_id}", response=IncidentDetailOut)
def get_incident(request: ApiRequest, incident_id: Id) -> Incident:
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/acknowledge", response=IncidentDetailOut)
def acknowledge_incident(request: ApiRequest, incident_id: Id) -> Incident:
    services.incident_acknowledge(incident=_respondable(request, incident_id), by=request.auth)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/resolve", response=IncidentDetailOut)
def resolve_incident(request: ApiRequest, incident_id: Id, body: IncidentResolveIn | None = None) -> Incident:
    note = body.note if body else ""
    services.incident_resolve(incident=_respondable(request, incident_id), by=request.auth, note=note)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/reopen", response=IncidentDetailOut)
def reopen_incident(request: ApiRequest, incident_id: Id, body: IncidentReopenIn | None = None) -> Incident:
    reason = body.reason if body else ""
    services.incident_reopen(incident=_respondable(request, incident_id), by=request.auth, reason=reason)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/close", response=IncidentDetailOut)
def close_incident(request: ApiRequest, incident_id: Id) -> Incident:
    services.incident_close(incident=_respondable(request, incident_id), by=request.auth)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/notes", response=IncidentDetailOut)
def add_incident_note(request: ApiRequest, incident_id: Id, body: IncidentNoteIn) -> Incident:
    services.incident_note(
        incident=_respondable(request, incident_id), by=request.auth, text=body.text,
        client_visible=body.client_visible,
    )  # fmt: skip
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/priority", response=IncidentDetailOut)
def set_incident_priority(request: ApiRequest, incident_id: Id, body: IncidentPriorityIn) -> Incident:
    services.incident_set_priority(
        incident=_respondable(request, incident_id),
        by=request.auth,
        impact=body.impact,
        urgency=body.urgency,
    )
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/assign", response=IncidentDetailOut)
def assign_incident(request: ApiRequest, incident_id: Id, body: IncidentAssignIn) -> Incident:
    incident = _respondable(request, incident_id)
    services.incident_assign(incident=incident, by=request.auth, owner=_new_owner(request, body.owner))
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/hand-off", response=IncidentDetailOut)
def hand_off_incident(request: ApiRequest, incident_id: Id, body: IncidentHandOffIn) -> Incident:
    """Give the incident to another person with a hand-off note."""
    incident, to = _respondable(request, incident_id), _person(request, body.owner, field="owner")
    services.incident_hand_off(incident=incident, by=request.auth, to=to, note=body.note)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/category", response=IncidentDetailOut)
def set_incident_category(request: ApiRequest, incident_id: Id, body: IncidentCategoryIn) -> Incident:
    incident = _respondable(request, incident_id)
    services.incident_set_category(incident=incident, by=request.auth, category=body.category)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/responders", response=IncidentDetailOut)
def add_incident_responder(request: ApiRequest, incident_id: Id, body: IncidentResponderIn) -> Incident:
    """Add a responder in a role, or change their role."""
    incident, user = _respondable(request, incident_id), _person(request, body.user, field="user")
    coordination.responder_add(incident=incident, by=request.auth, user=user, role=body.role)
    return _detail(request, incident_id)


@router.delete("/incidents/{incident_id}/responders/{user_id}", response=IncidentDetailOut)
def remove_incident_responder(request: ApiRequest, incident_id: Id, user_id: Id) -> Incident:
    incident, user = _respondable(request, incident_id), _person(request, user_id, field="user")
    coordination.responder_remove(incident=incident, by=request.auth, user=user)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/merge", response=IncidentDetailOut)
def merge_incident(request: ApiRequest, incident_id: Id, body: IncidentMergeIn) -> Incident:
    """Merge this incident into `into`: its alerts move there and it is resolved with a pointer.
    Answers with the incident that remains."""
    source = _respondable(request, incident_id)
    try:
        target = selectors.incident_access(actor=request.auth, pk=body.into)
    except NotFound:
        raise InvalidInput(f"Unknown incident {body.into}.", field="into") from None
    target = coordination.incident_merge(source=source, target=target, by=request.auth)
    return _detail(request, target.pk)


def _person(request: ApiRequest, user_id: int, *, field: str) -> User:
    """The user a write names; one the actor cannot see answers 400, not 404."""
    try:
        return accounts.user_access(actor=request.auth, pk=user_id)
    except NotFound:
        raise InvalidInput(f"Unknown user {user_id}.", field=field) from None


def _new_owner(request: ApiRequest, owner_id: int | None, *, field: str = "owner") -> User | None:
    """The user a write names as owner; one the actor cannot see answers 400, not 404."""
    if owner_id is None:
        return None
    try:
        return accounts.user_access(actor=request.auth, pk=owner_id)
    except NotFound:
        raise InvalidInput(f"Unknown user {owner_id}.", field=field) from None


@router.post("/incidents/{incident_id}/wait", response=IncidentDetailOut)
def wait_incident(request: ApiRequest, incident_id: Id, body: IncidentWaitIn) -> Incident:
    """Waiting on the client or a vendor: pauses the SLA resolution clock."""
    incident = _respondable(request, incident_id)
    services.incident_set_waiting(incident=incident, by=request.auth, status=body.status, note=body.note)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/resume", response=IncidentDetailOut)
def resume_incident(request: ApiRequest, incident_id: Id) -> Incident:
    services.incident_resume(incident=_respondable(request, incident_id), by=request.auth)
    return _detail(request, incident_id)
