"""Who a level's targets page now: users, the final schedule's on-call users, a whole team or
the next member of a team in turn (round-robin); of them, only people who may work on the
incident's client are paged (`level_recipients`). And who a target may page at all, to warn
when it is saved (`target_gaps`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from watchkeeper.accounts.models import TeamMembership, User
from watchkeeper.core import clock
from watchkeeper.oncall.selectors import schedule_oncall_users, schedule_people
from watchkeeper.paging.models import EscalationLevel, EscalationTarget, TargetKind
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client


def _team_members(team_id: int) -> list[User]:
    memberships = TeamMembership.objects.filter(team_id=team_id, user__is_active=True)
    return [m.user for m in memberships.select_related("user").order_by("user__full_name", "user_id")]


def _round_robin(target: EscalationTarget, client: Client | None) -> list[User]:
    """The next member in turn, among those who may work on `client` (a turn is never spent on
    someone who would be skipped). Caller is in a transaction: the target's row lock makes two
    engines paging at once take consecutive members, not the same one."""
    locked = EscalationTarget.objects.select_for_update().get(pk=target.pk)
    members = _team_members(locked.team_id) if locked.team_id else []
    if client is not None:
        allowed = _allowed(members, client)
        members = [member for member in members if member.pk in allowed]
    if not members:
        return []
    chosen = members[locked.next_index % len(members)]
    locked.next_index = (locked.next_index + 1) % len(members)
    locked.save(update_fields=["next_index"])
    return [chosen]


def _allowed(users: list[User], client: Client) -> set[int]:
    """The ids of `users` who may work on `client`, in one query."""
    staff = access.staff_for_client(client).filter(pk__in=[user.pk for user in users])
    return set(staff.values_list("pk", flat=True))


def target_users(*, target: EscalationTarget, at: dt.datetime, client: Client | None = None) -> list[User]:
    if target.kind == TargetKind.USER:
        return [target.user] if target.user is not None and target.user.is_active else []
    if target.kind == TargetKind.SCHEDULE and target.schedule is not None:
        return [user for user in schedule_oncall_users(schedule=target.schedule, at=at) if user.is_active]
    if target.kind == TargetKind.TEAM and target.team_id:
        return _team_members(target.team_id)
    if target.kind == TargetKind.TEAM_ROUND_ROBIN:
        return _round_robin(target, client)
    return []


def level_users(*, level: EscalationLevel, at: dt.datetime, client: Client | None = None) -> list[User]:
    """Everyone the level's targets name, each once, in target order (round-robin turns taken
    among those who may work on `client`)."""
    seen: dict[int, User] = {}
    for target in level.targets.select_related("user", "schedule").all():
        for user in target_users(target=target, at=at, client=client):
            seen.setdefault(user.pk, user)
    return list(seen.values())


@dataclass(frozen=True)
class Recipients:
    """Whom a level pages for one incident, and whom its targets named but who may not see the
    incident's client (a team, a shared schedule or an override may name anyone on the staff)."""

    paged: list[User]
    skipped: list[User]


def level_recipients(*, level: EscalationLevel, at: dt.datetime, client: Client) -> Recipients:
    """`level_users`, split by who may work on `client` (the access module's `staff_for_client`:
    the people with `incidents.view` on it). A page names the incident, its client and response
    links, so nobody else receives it."""
    users = level_users(level=level, at=at, client=client)
    allowed = _allowed(users, client)
    return Recipients(
        paged=[u for u in users if u.pk in allowed], skipped=[u for u in users if u.pk not in allowed]
    )


def target_people(*, target: EscalationTarget) -> list[User]:
    """Everyone `target` may page from now on: the user, the team's members, or the people of
    the schedule's layers and of its overrides not yet over."""
    if target.kind == TargetKind.USER:
        return [target.user] if target.user is not None and target.user.is_active else []
    if target.kind == TargetKind.SCHEDULE and target.schedule is not None:
        return [p for p in schedule_people(schedule=target.schedule, since=clock.now()) if p.is_active]
    if target.kind in {TargetKind.TEAM, TargetKind.TEAM_ROUND_ROBIN} and target.team_id:
        return _team_members(target.team_id)
    return []


def target_gaps(*, target: EscalationTarget, client: Client | None) -> str | None:
    """A warning when `target` names people who cannot work on `client` (None: on every client,
    for an MSP-wide policy): they are skipped when paged for it. Not a refusal: a team or a
    shared schedule serves many clients, and an MSP-wide policy pages for all of them."""
    people = target_people(target=target)
    if client is None:
        missing = [person for person in people if not access.sees_every_client(person)]
        reach = "work only on some clients: they are skipped when this MSP-wide policy pages for the others"
    else:
        allowed = _allowed(people, client)
        missing = [person for person in people if person.pk not in allowed]
        reach = f"cannot work on {client.name}'s incidents: they are skipped when this policy pages"
    if not missing:
        return None
    names = ", ".join(person.full_name or person.email for person in missing)
    return f"{target}: {names} {reach}."
