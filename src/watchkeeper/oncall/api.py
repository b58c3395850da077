"""REST adapters for schedules and who is on call. Thin: access, selectors and services decide.

Schedules are MSP data: portal users get 403 on lists and 404 on another client's schedule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from ninja import Query, Router, Status

from watchkeeper.accounts import selectors as accounts
from watchkeeper.accounts.models import Team, User
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.oncall import selectors, services
from watchkeeper.oncall.models import Override, Schedule
from watchkeeper.oncall.schemas import (
    LayerIn,
    OncallOut,
    OverrideIn,
    OverrideOut,
    ScheduleDetailOut,
    ScheduleIn,
    ScheduleOut,
    ScheduleUpdateIn,
    ShiftOut,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest

router = Router(tags=["on-call"])

_AT = Query("now", description="An ISO 8601 time with a zone (e.g. 2026-12-01T09:00:00Z), or 'now'")
_USER = Query("", description="Only where this user (an id, or 'me') is on call now or next")
MAX_SHIFT_RANGE = dt.timedelta(days=92)


def _time(value: str, field: str) -> dt.datetime:
    if value in {"", "now"}:
        return clock.now()
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{field} must be an ISO 8601 time or 'now' (got '{value[:40]}').", field=field
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone, e.g. 2026-12-01T09:00:00Z.", field=field)
    return parsed


def _user(request: ApiRequest, pk: int, field: str) -> User:
    try:
        return accounts.user_access(actor=request.auth, pk=pk)
    except NotFound:
        raise InvalidInput(f"Unknown user {pk}.", field=field) from None


def _layer(request: ApiRequest, body: LayerIn) -> dict[str, Any]:
    data = body.dict()
    data["restrictions"] = [
        {k: v for k, v in window.items() if v is not None} for window in data.get("restrictions", [])
    ]
    data["members"] = [_user(request, pk, "members") for pk in body.members]
    return data


def _override(request: ApiRequest, schedule: Schedule, body: OverrideIn) -> Override:
    return services.override_create(
        actor=request.auth, schedule=schedule, user=_user(request, body.user_id, "user_id"),
        replaces=_user(request, body.replaces_id, "replaces_id") if body.replaces_id else None,
        starts_at=body.starts_at, ends_at=body.ends_at, note=body.note, via="api",
    )  # fmt: skip


def _detail(request: ApiRequest, schedule_id: int) -> Schedule:
    return selectors.schedule_access(actor=request.auth, pk=schedule_id)


@router.get("/schedules", response=list[ScheduleOut])
@paginated()
def list_schedules(request: ApiRequest, client: str | None = None) -> QuerySet[Schedule]:
    """Every schedule you may see; with `client`, those covering that client (its own and the
    MSP-wide ones)."""
    actor = request.auth
    scoped = access.client_access(actor, client) if client else None
    return selectors.schedule_list(actor=actor, client=scoped).order_by("name", "id")


@router.post("/schedules", response={201: ScheduleDetailOut})
def create_schedule(request: ApiRequest, body: ScheduleIn) -> Status[Schedule]:
    actor = request.auth
    access.require(actor, "schedules.manage")
    client = access.client_reference(actor, body.client) if body.client else None
    team = Team.objects.filter(slug=body.team).first() if body.team else None
    if body.team and team is None:
        raise InvalidInput(f"Unknown team '{body.team}'.", field="team")
    with transaction.atomic():
        schedule = services.schedule_create(
            actor=actor, name=body.name, description=body.description, time_zone=body.time_zone,
            client=client, team=team, via="api",
        )  # fmt: skip
        if body.layers:
            services.layers_replace(
                actor=actor, schedule=schedule, layers=[_layer(request, x) for x in body.layers]
            )
        for override in body.overrides:
            _override(request, schedule, override)
    return Status(201, _detail(request, schedule.pk))


@router.get("/schedules/{schedule_id}", response=ScheduleDetailOut)
def get_schedule(request: ApiRequest, schedule_id: Id) -> Schedule:
    return _detail(request, schedule_id)


@router.patch("/schedules/{schedule_id}", response=ScheduleDetailOut)
def update_schedule(request: ApiRequest, schedule_id: Id, body: ScheduleUpdateIn) -> Schedule:
    """Change the schedule; `layers`, when given, replaces every layer."""
    actor = request.auth
    schedule = _detail(request, schedule_id)
    fields = body.dict(exclude_unset=True, exclude={"layers"})
    with transaction.atomic():
        if fields:
            services.schedule_update(actor=actor, schedule=schedule, via="api", **fields)
        if body.layers is not None:
            layers = [_layer(request, x) for x in body.layers]
            services.layers_replace(actor=actor, schedule=schedule, layers=layers)
        elif not fields:
            access.require_write(actor, "schedules.manage", client=schedule.client)
    return _detail(request, schedule_id)


@router.post("/schedules/{schedule_id}/overrides", response={201: OverrideOut})
def create_override(request: ApiRequest, schedule_id: Id, body: OverrideIn) -> Status[Override]:
    """Someone covers someone else (or whoever is on call) from `starts_at` to `ends_at`."""
    return Status(201, _override(request, _detail(request, schedule_id), body))


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", response={204: None})
def delete_override(request: ApiRequest, schedule_id: Id, override_id: Id) -> Status[None]:
    schedule = _detail(request, schedule_id)
    override = next((o for o in schedule.overrides.all() if o.pk == override_id), None)
    if override is None:
        raise NotFound(f"No override {override_id} on this schedule.")
    services.override_delete(actor=request.auth, override=override, via="api")
    return Status(204, None)


def _oncall(status: selectors.OncallStatus, at: dt.datetime) -> dict[str, Any]:
    return {"schedule": status.schedule, "at": at, "oncall": status.now, "next": status.next}


@router.get("/schedules/{schedule_id}/oncall", response=OncallOut)
def schedule_oncall(request: ApiRequest, schedule_id: Id, at: str = _AT) -> dict[str, Any]:
    """Who is on call at `at` (now by default) in the final schedule, and who is next."""
    when = _time(at, "at")
    (status,) = selectors.oncall_status(schedules=[_detail(request, schedule_id)], at=when)
    return _oncall(status, when)


@router.get("/schedules/{schedule_id}/shifts", response=list[ShiftOut])
def schedule_shifts(request: ApiRequest, schedule_id: Id, start: str = "now", end: str = "") -> Any:
    """The final shifts (overrides applied) between `start` and `end` (default: 14 days later;
    at most 92 days)."""
    lo = _time(start, "start")
    hi = _time(end, "end") if end else lo + dt.timedelta(days=14)
    if not lo < hi <= lo + MAX_SHIFT_RANGE:
        raise InvalidInput("end must be after start and at most 92 days later.", field="end")
    return selectors.schedule_shifts(schedule=_detail(request, schedule_id), start=lo, end=hi)


@router.get("/oncall", response=list[OncallOut])
def oncall(request: ApiRequest, at: str = _AT, user: str = _USER) -> list[dict[str, Any]]:
    """The whole MSP: for every schedule, who is on call at `at` and who is next."""
    actor = request.auth
    when = _time(at, "at")
    who = None
    if user == "me":
        who = actor.user
    elif user:
        if not user.isdigit():
            raise InvalidInput("user must be a user id or 'me'.", field="user")
        who = _user(request, int(user), "user")
    return [_oncall(status, when) for status in selectors.oncall_overview(actor=actor, at=when, user=who)]
