"""Reads: schedules an actor may see, and who is on call when (the final schedule).

`schedule_oncall_users(schedule=, at=)` is the interface paging calls. Shift computations
work on prefetched layers, members and overrides, so lists cost a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import NotFound
from watchkeeper.oncall import rotation
from watchkeeper.oncall.models import Layer, LayerMember, Notice, Override, Schedule
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

# How far ahead "next" looks; a schedule with nobody for longer has no next shift.
NEXT_HORIZON = dt.timedelta(days=62)


@dataclass(frozen=True)
class ScheduleShift:
    schedule: Schedule
    user: User
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class OncallStatus:
    schedule: Schedule
    now: list[ScheduleShift]
    next: ScheduleShift | None


def _with_rules(qs: QuerySet[Schedule]) -> QuerySet[Schedule]:
    members = LayerMember.objects.select_related("user").order_by("position")
    return qs.select_related("client", "team").prefetch_related(
        Prefetch("layers", queryset=Layer.objects.prefetch_related(Prefetch("members", queryset=members))),
        Prefetch(
            "overrides",
            queryset=Override.objects.select_related("user", "replaces").order_by("created_at", "id"),
        ),
    )


def schedule_list(*, actor: access.ActorLike, client: Client | None = None) -> QuerySet[Schedule]:
    access.require(actor, "schedules.view")
    qs = access.scope_shared(Schedule.objects.all(), actor)
    if client is not None:
        qs = qs.filter(Q(client=client) | Q(client__isnull=True))
    return qs.select_related("client", "team").annotate(layer_count=Count("layers", distinct=True))


def schedule_access(*, actor: access.ActorLike, pk: int) -> Schedule:
    """The schedule with its rules, or NotFound when the actor cannot see it; Forbidden for
    portal users (schedules are MSP data)."""
    schedule = _with_rules(access.scope_shared(Schedule.objects.all(), actor)).filter(pk=pk).first()
    if schedule is None:
        raise NotFound(f"No schedule {pk}.")
    access.require(actor, "schedules.view")
    return schedule


def schedules_covering_client(*, client: Client) -> QuerySet[Schedule]:
    """THE answer to "which schedules cover this client": its dedicated ones and the MSP-wide
    ones. `covers` is the same rule for schedules already in memory; change both together."""
    return Schedule.objects.filter(Q(client=client) | Q(client__isnull=True))


def covers(schedule: Schedule, client: Client) -> bool:
    return schedule.client_id is None or schedule.client_id == client.pk


@dataclass(frozen=True)
class BoardRow:
    client: Client
    services: list[str]
    statuses: list[OncallStatus]


def oncall_board(*, actor: access.ActorLike, at: dt.datetime) -> list[BoardRow]:
    """Who is on call for each active client the actor may see (and so for its services),
    now and next. A fixed number of queries whatever the number of clients."""
    statuses = oncall_overview(actor=actor, at=at)
    clients = access.visible_clients(actor).filter(is_active=True).order_by("name")
    rows = []
    for client in clients.prefetch_related("services"):
        services = sorted(service.name for service in client.services.all() if service.is_active)
        rows.append(BoardRow(client, services, [s for s in statuses if covers(s.schedule, client)]))
    return rows


# --- the final schedule ------------------------------------------------------------------------


def _window(raw: dict[str, object]) -> rotation.Window:
    return rotation.Window(
        start=dt.time.fromisoformat(str(raw["start"])),
        end=dt.time.fromisoformat(str(raw["end"])),
        start_day=int(str(raw.get("start_day", 1))),
        end_day=int(str(raw.get("end_day", raw.get("start_day", 1)))),
    )


def layer_spec(layer: Layer, *, schedule: Schedule | None = None) -> rotation.LayerSpec:
    zone = layer.time_zone or (schedule or layer.schedule).time_zone
    return rotation.LayerSpec(
        participants=tuple(member.user_id for member in layer.members.all()),
        anchor=dt.datetime.combine(layer.starts_on, layer.handoff_time),
        time_zone=zone,
        length=layer.shift_length,
        unit=layer.shift_unit,
        restriction=layer.restriction,
        windows=tuple(_window(raw) for raw in layer.restrictions or ()),
        priority=layer.priority,
        key=("layer", layer.pk),
    )


def _specs(schedule: Schedule) -> tuple[list[rotation.LayerSpec], list[rotation.OverrideSpec]]:
    layers = [layer_spec(layer, schedule=schedule) for layer in schedule.layers.all()]
    overrides = [
        rotation.OverrideSpec(
            user=o.user_id, start=o.starts_at, end=o.ends_at, replaces=o.replaces_id, key=("override", o.pk)
        )
        for o in schedule.overrides.all()
    ]
    return layers, overrides


def _shift_ids(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> list[rotation.Shift]:
    layers, overrides = _specs(schedule)
    return rotation.final_shifts(layers, overrides, start, end)


def _users(ids: Iterable[object]) -> dict[int, User]:
    wanted = {int(str(pk)) for pk in ids}
    return {user.pk: user for user in User.objects.filter(pk__in=wanted)} if wanted else {}


def _resolve(
    schedule: Schedule, shifts: Sequence[rotation.Shift], users: dict[int, User]
) -> list[ScheduleShift]:
    return [
        ScheduleShift(schedule=schedule, user=users[int(str(s.user))], start=s.start, end=s.end)
        for s in shifts
        if int(str(s.user)) in users
    ]


def schedule_shifts(*, schedule: Schedule, start: dt.datetime, end: dt.datetime) -> list[ScheduleShift]:
    """The final shifts (overrides applied) overlapping [start, end), clipped to it."""
    shifts = _shift_ids(schedule, start, end)
    return _resolve(schedule, shifts, _users(s.user for s in shifts))


def schedule_gaps(
    *, schedule: Schedule, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    return rotation.gaps(_shift_ids(schedule, start, end), start, end)


def schedule_oncall_users(*, schedule: Schedule, at: dt.datetime) -> list[User]:
    """The users on call in the final schedule at `at` (aware): what paging pages."""
    shifts = _shift_ids(schedule, at, at + dt.timedelta(seconds=1))
    users = _users(s.user for s in shifts)
    return [users[int(str(s.user))] for s in shifts if int(str(s.user)) in users]


def _status_ids(schedule: Schedule, at: dt.datetime) -> tuple[list[rotation.Shift], rotation.Shift | None]:
    """The shifts containing `at` (whole, not clipped) and the next shift starting after them.
    Starts with a narrow window and widens it only while a shift touches its edges, so short
    rotations stay cheap; beyond NEXT_HORIZON either way, shifts are shown clipped."""
    now: list[rotation.Shift] = []
    upcoming: rotation.Shift | None = None
    for back, ahead in _WINDOWS:
        lo, hi = at - back, at + ahead
        shifts = _shift_ids(schedule, lo, hi)
        now = [s for s in shifts if s.contains(at)]
        later = [s for s in shifts if s.start > at and all(s.start >= n.end or s.user != n.user for n in now)]
        upcoming = later[0] if later else None
        whole = all(lo < n.start and n.end < hi for n in now)
        if whole and upcoming is not None and upcoming.end < hi:
            break
    return now, upcoming


_WINDOWS = (
    (dt.timedelta(days=1), dt.timedelta(days=3)),
    (dt.timedelta(days=16), dt.timedelta(days=16)),
    (NEXT_HORIZON, NEXT_HORIZON),
)


def oncall_status(*, schedules: Sequence[Schedule], at: dt.datetime) -> list[OncallStatus]:
    """Now and next for each schedule (prefetched with `with_rules`); users in one query."""
    computed = [(schedule, *_status_ids(schedule, at)) for schedule in schedules]
    ids = [s.user for _, now, _ in computed for s in now] + [n.user for _, _, n in computed if n]
    users = _users(ids)
    out = []
    for schedule, now, upcoming in computed:
        resolved_next = _resolve(schedule, [upcoming], users) if upcoming else []
        out.append(
            OncallStatus(
                schedule, _resolve(schedule, now, users), resolved_next[0] if resolved_next else None
            )
        )
    return out


def with_rules(qs: QuerySet[Schedule]) -> QuerySet[Schedule]:
    return _with_rules(qs)


def oncall_overview(
    *, actor: access.ActorLike, at: dt.datetime, user: User | None = None
) -> list[OncallStatus]:
    """The whole MSP: now and next on every schedule the actor may see (optionally only the
    statuses in which `user` is on call now or next)."""
    schedules = list(_with_rules(schedule_list(actor=actor)).order_by("name"))
    statuses = oncall_status(schedules=schedules, at=at)
    if user is None:
        return statuses
    return [
        s
        for s in statuses
        if any(x.user.pk == user.pk for x in s.now) or (s.next and s.next.user.pk == user.pk)
    ]


def _involving(user: User) -> QuerySet[Schedule]:
    return Schedule.objects.filter(Q(layers__members__user=user) | Q(overrides__user=user)).distinct()


def schedule_people(*, schedule: Schedule, since: dt.datetime) -> list[User]:
    """Everyone the schedule may have on call from `since` on: its layers' members and the
    people of its overrides that are not over (paging warns about those who cannot cover a
    policy's client)."""
    people = User.objects.filter(
        Q(oncall_layers__layer__schedule=schedule)
        | Q(oncall_overrides__schedule=schedule, oncall_overrides__ends_at__gt=since)
    )
    return list(people.distinct().order_by("full_name", "pk"))


def oncall_now_for_user(*, user: User, at: dt.datetime) -> list[ScheduleShift]:
    """The shifts `user` is on call for at `at`, across every schedule."""
    statuses = oncall_status(schedules=list(_with_rules(_involving(user))), at=at)
    return [shift for status in statuses for shift in status.now if shift.user.pk == user.pk]


def user_shifts(*, user: User, start: dt.datetime, end: dt.datetime) -> list[ScheduleShift]:
    """A person's own final shifts in [start, end) across schedules (their iCal feed)."""
    out: list[ScheduleShift] = []
    for schedule in _with_rules(_involving(user)):
        own = [s for s in _shift_ids(schedule, start, end) if s.user == user.pk]
        out += [ScheduleShift(schedule=schedule, user=user, start=s.start, end=s.end) for s in own]
    return sorted(out, key=lambda s: s.start)


def notice_to_deliver(*, notice_id: int) -> Notice | None:
    """The recorded notice the `oncall.notice` timer hands to paging, with its person; None when
    it is gone or its person was deactivated meanwhile (nobody to tell)."""
    notice = Notice.objects.select_related("user").filter(pk=notice_id).first()
    return notice if notice is not None and notice.user.is_active else None
