"""Writes: schedules, their layers and overrides, and calendar tokens.

Every change that can move a shift runs `_changed` in its transaction: it tells the people
whose coming shifts changed (notices) and sets the hand-off timer due now, so the engine
reconciles "you are now on call" / "off call" against the new final schedule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import Team, User
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.timers import timer_set
from watchkeeper.oncall import notices
from watchkeeper.oncall.models import (
    CalendarToken,
    Layer,
    LayerMember,
    Override,
    Restriction,
    Schedule,
    ShiftUnit,
)
from watchkeeper.oncall.timers import HANDOFF
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

MAX_MEMBERS = 100
MAX_WINDOWS = 14


def _require(actor: Any, action: str) -> None:
    if not isinstance(actor, str):  # "demo", "cli": trusted callers
        access.require(actor, action)


def _require_write(actor: Any, action: str, *, client: Client | None) -> None:
    """`action` on a schedule of `client`, or with `client` None on an MSP-wide schedule: that one
    puts people on call for every client, so someone restricted to some clients (or a token
    restricted to one) may read it but not change it (403); another client's is a 404 (ADR 0027)."""
    if not isinstance(actor, str):  # "demo", "cli": trusted callers
        access.require_write(actor, action, client=client)


def schedule_can_change(
    actor: access.ActorLike, schedule: Schedule, *, action: str = "schedules.manage"
) -> bool:
    """Whether the actor may take `action` (schedules.manage, .override, .view for the calendar
    address) on this schedule: the console shows only the controls that pass."""
    return access.can_write(actor, action, client=schedule.client)


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone '{name}'; use an IANA name such as Europe/London.", field="time_zone"
        ) from None
    return name


def _msp_user(user: User, field: str) -> User:
    if not access.is_active_staff(user):
        raise InvalidInput(
            f"{user.email} is not an active MSP technician and cannot be on call.", field=field
        )
    return user


@contextmanager
def _changing(schedule: Schedule) -> Iterator[None]:
    """Run a change to `schedule` in one transaction, then reconcile notices and timers."""
    with transaction.atomic():
        Schedule.objects.select_for_update().filter(pk=schedule.pk).first()
        now = clock.now()
        before = notices.upcoming(schedule_id=schedule.pk, now=now)
        yield
        notices.changes_notify(schedule_id=schedule.pk, before=before, now=now)
        timer_set(kind=HANDOFF, key=str(schedule.pk), due_at=now)


# --- schedules ---------------------------------------------------------------------------------


def _schedule_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in {"name", "description", "time_zone", "client", "team"}}
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise InvalidInput("A schedule needs a name.", field="name")
    if "time_zone" in values:
        values["time_zone"] = _zone(values["time_zone"])
    if values.get("client") is not None and not isinstance(values["client"], Client):
        raise InvalidInput("client must be a Client", field="client")
    if values.get("team") is not None and not isinstance(values["team"], Team):
        raise InvalidInput("team must be a Team", field="team")
    return values


def _save(obj: Schedule, *, fields: list[str] | None) -> None:
    try:
        with transaction.atomic():
            obj.save(update_fields=obj.touch_fields(*fields) if fields is not None else None)
    except IntegrityError:
        raise InvalidInput(f"A schedule named '{obj.name}' already exists.", field="name") from None


def schedule_create(*, actor: Any, name: str, via: str = "console", **data: Any) -> Schedule:
    _require(actor, "schedules.manage")
    values = _schedule_values({"name": name, **data})
    _require_write(actor, "schedules.manage", client=values.get("client"))
    schedule = Schedule(**values)
    with transaction.atomic():
        _save(schedule, fields=None)
        audit_record(actor=actor, action="schedule.create", obj=schedule, after=snapshot(schedule), via=via)
    return schedule


def schedule_update(*, actor: Any, schedule: Schedule, via: str = "console", **data: Any) -> Schedule:
    _require(actor, "schedules.manage")
    values = _schedule_values(data)
    with _changing(schedule):
        schedule = Schedule.objects.select_related("client").get(pk=schedule.pk)
        _require_write(actor, "schedules.manage", client=schedule.client)
        if "client" in values:  # the client it moves to, too (None: every client)
            _require_write(actor, "schedules.manage", client=values["client"])
        before = snapshot(schedule)
        for key, value in values.items():
            setattr(schedule, key, value)
        _save(schedule, fields=[f"{k}_id" if k in {"client", "team"} else k for k in values] or ["name"])
        audit_record(
            actor=actor,
            action="schedule.update",
            obj=schedule,
            before=before,
            after=snapshot(schedule),
            via=via,
        )
    return schedule


# --- layers ------------------------------------------------------------------------------------


def restrictions_parse(kind: str, windows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated restriction windows in their stored shape."""
    if kind not in Restriction.values:
        raise InvalidInput(
            f"restriction must be one of {', '.join(Restriction.values)}.", field="restriction"
        )
    if kind == Restriction.NONE:
        return []
    if not windows or len(windows) > MAX_WINDOWS:
        raise InvalidInput(f"A restricted layer needs 1 to {MAX_WINDOWS} windows.", field="restrictions")
    out = []
    for raw in windows:
        try:
            start, end = dt.time.fromisoformat(str(raw["start"])), dt.time.fromisoformat(str(raw["end"]))
            days = (int(raw.get("start_day", 1)), int(raw.get("end_day", raw.get("start_day", 1))))
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                "Each window needs start and end times as HH:MM.", field="restrictions"
            ) from None
        if kind == Restriction.WEEKLY and not all(1 <= d <= 7 for d in days):
            raise InvalidInput("Weekdays are 1 (Monday) to 7 (Sunday).", field="restrictions")
        window: dict[str, Any] = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
        if kind == Restriction.WEEKLY:
            window |= {"start_day": days[0], "end_day": days[1]}
        elif start == end:
            raise InvalidInput("A daily window needs different start and end times.", field="restrictions")
        out.append(window)
    return out


_LAYER_FIELDS = (
    "name", "priority", "time_zone", "starts_on", "handoff_time", "shift_length", "shift_unit",
    "restriction", "restrictions",
)  # fmt: skip


def _layer_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data[key] for key in _LAYER_FIELDS if key in data}
    values.setdefault("restriction", Restriction.NONE)
    if not isinstance(values.get("starts_on"), dt.date) or not isinstance(
        values.get("handoff_time"), dt.time
    ):
        raise InvalidInput("A layer needs a start date and a hand-off time.", field="starts_on")
    if not str(values.get("name", "")).strip():
        raise InvalidInput("A layer needs a name.", field="name")
    if values.get("time_zone"):
        _zone(values["time_zone"])
    if values.get("shift_unit") not in ShiftUnit.values:
        raise InvalidInput(f"shift_unit must be one of {', '.join(ShiftUnit.values)}.", field="shift_unit")
    if not 1 <= int(values.get("shift_length", 0)) <= 1000:
        raise InvalidInput("shift_length must be between 1 and 1000.", field="shift_length")
    values["restrictions"] = restrictions_parse(
        values.get("restriction", "none"), values.get("restrictions") or []
    )
    return values


def _layer_write(
    *,
    schedule: Schedule,
    layer: Layer | None,
    members: Sequence[User],
    values: dict[str, Any],
    actor: Any,
    via: str,
) -> Layer:
    """Caller holds the schedule's change transaction (`_changing`)."""
    before = snapshot(layer) if layer else None
    layer = layer or Layer(schedule=schedule)
    for key, value in values.items():
        setattr(layer, key, value)
    layer.save()
    LayerMember.objects.filter(layer=layer).delete()
    LayerMember.objects.bulk_create(
        LayerMember(layer=layer, user=user, position=i) for i, user in enumerate(members)
    )
    after = snapshot(layer) | {"members": [user.pk for user in members]}
    audit_record(
        actor=actor, action="schedule.layer." + ("update" if before else "create"), obj=layer,
        client_id=schedule.client_id, before=before, after=after, via=via,
    )  # fmt: skip
    return layer


def _members(members: Sequence[User]) -> Sequence[User]:
    if len(members) > MAX_MEMBERS:
        raise InvalidInput(f"A layer has at most {MAX_MEMBERS} participants.", field="members")
    for user in members:
        _msp_user(user, "members")
    return members


def layer_save(
    *, actor: Any, schedule: Schedule, members: Sequence[User], layer: Layer | None = None,
    via: str = "console", **data: Any,
) -> Layer:  # fmt: skip
    """Create a layer (layer=None) or replace one's settings and participants."""
    _require(actor, "schedules.manage")
    _require_write(actor, "schedules.manage", client=schedule.client)
    values = _layer_values(data)
    with _changing(schedule):
        return _layer_write(schedule=schedule, layer=layer, members=_members(members), values=values,
                            actor=actor, via=via)  # fmt: skip


def _layer_remove(*, actor: Any, layer: Layer, via: str) -> None:
    audit_record(actor=actor, action="schedule.layer.delete", obj=layer, client_id=layer.schedule.client_id,
                 before=snapshot(layer), via=via)  # fmt: skip
    layer.delete()


def layer_delete(*, actor: Any, layer: Layer, via: str = "console") -> None:
    _require(actor, "schedules.manage")
    _require_write(actor, "schedules.manage", client=layer.schedule.client)
    with _changing(layer.schedule):
        _layer_remove(actor=actor, layer=layer, via=via)


def layers_replace(
    *, actor: Any, schedule: Schedule, layers: Sequence[dict[str, Any]], via: str = "api"
) -> None:
    """Replace every layer of the schedule (the API's PATCH with `layers`), atomically: each
    entry holds the layer's fields and `members` (users)."""
    _require(actor, "schedules.manage")
    _require_write(actor, "schedules.manage", client=schedule.client)
    checked = [
        (_layer_values({k: v for k, v in d.items() if k != "members"}), _members(d["members"]))
        for d in layers
    ]
    with _changing(schedule):
        for layer in Layer.objects.filter(schedule=schedule).select_related("schedule"):
            _layer_remove(actor=actor, layer=layer, via=via)
        for values, members in checked:
            _layer_write(schedule=schedule, layer=None, members=members, values=values, actor=actor, via=via)


# --- overrides ---------------------------------------------------------------------------------


def override_create(
    *, actor: Any, schedule: Schedule, user: User, starts_at: dt.datetime, ends_at: dt.datetime,
    replaces: User | None = None, note: str = "", via: str = "console",
) -> Override:  # fmt: skip
    _require(actor, "schedules.override")
    _require_write(actor, "schedules.override", client=schedule.client)
    _msp_user(user, "user")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("Override times need a time zone (e.g. 2026-12-01T09:00:00Z).", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("An override must end after it starts.", field="ends_at")
    if ends_at - starts_at > dt.timedelta(days=366):
        raise InvalidInput("An override lasts at most a year.", field="ends_at")
    if replaces is not None and replaces.pk == user.pk:
        raise InvalidInput("Someone cannot cover themselves.", field="replaces")
    by = getattr(actor, "user", actor)
    with _changing(schedule):
        override = Override.objects.create(
            schedule=schedule, user=user, replaces=replaces, starts_at=starts_at, ends_at=ends_at,
            note=note.strip()[:200], created_by=by if isinstance(by, User) else None,
        )  # fmt: skip
        audit_record(actor=actor, action="schedule.override.create", obj=override,
                     client_id=schedule.client_id, after=snapshot(override), via=via)  # fmt: skip
    return override


def override_delete(*, actor: Any, override: Override, via: str = "console") -> None:
    _require(actor, "schedules.override")
    _require_write(actor, "schedules.override", client=override.schedule.client)
    with _changing(override.schedule):
        audit_record(actor=actor, action="schedule.override.delete", obj=override,
                     client_id=override.schedule.client_id, before=snapshot(override), via=via)  # fmt: skip
        override.delete()


# --- calendar tokens ---------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token_rotate(*, actor: Any, schedule: Schedule | None = None, user: User | None = None) -> str:
    """A new secret for the schedule's (or the user's) iCal feed; the old URL stops working.
    Returns the token: it is shown once and only its digest is stored."""
    if (schedule is None) == (user is None):
        raise ValueError("rotate the token of a schedule or of a user")
    _require(actor, "schedules.view")
    if schedule is not None:  # a new address stops everybody's subscription to the old one
        _require_write(actor, "schedules.view", client=schedule.client)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        owner: dict[str, Any] = {"schedule": schedule} if schedule else {"user": user}
        CalendarToken.objects.filter(**owner).delete()
        CalendarToken.objects.create(digest=token_digest(token), prefix=token[:6], **owner)
        audit_record(actor=actor, action="schedule.calendar_token.rotate", obj=schedule or user,
                     client_id=schedule.client_id if schedule else None)  # fmt: skip
    return token


def calendar_token_find(*, token: str) -> CalendarToken | None:
    if not token or len(token) > 100:
        return None
    return CalendarToken.objects.select_related("schedule", "user").filter(digest=token_digest(token)).first()
