"""Who a level's targets page now: users, the final schedule's on-call users, a whole team or
the next member of a team in turn (round-robin)."""

from __future__ import annotations

import datetime as dt

from watchkeeper.accounts.models import TeamMembership, User
from watchkeeper.oncall.selectors import schedule_oncall_users
from watchkeeper.paging.models import EscalationLevel, EscalationTarget, TargetKind


def _team_members(team_id: int) -> list[User]:
    memberships = TeamMembership.objects.filter(team_id=team_id, user__is_active=True)
    return [m.user for m in memberships.select_related("user").order_by("user__full_name", "user_id")]


def _round_robin(target: EscalationTarget) -> list[User]:
    """The next member in turn. Caller is in a transaction: the target's row lock makes two
    engines paging at once take consecutive members, not the same one."""
    locked = EscalationTarget.objects.select_for_update().get(pk=target.pk)
    members = _team_members(locked.team_id) if locked.team_id else []
    if not members:
        return []
    chosen = members[locked.next_index % len(members)]
    locked.next_index = (locked.next_index + 1) % len(members)
    locked.save(update_fields=["next_index"])
    return [chosen]


def target_users(*, target: EscalationTarget, at: dt.datetime) -> list[User]:
    if target.kind == TargetKind.USER:
        return [target.user] if target.user is not None and target.user.is_active else []
    if target.kind == TargetKind.SCHEDULE and target.schedule is not None:
        return [user for user in schedule_oncall_users(schedule=target.schedule, at=at) if user.is_active]
    if target.kind == TargetKind.TEAM and target.team_id:
        return _team_members(target.team_id)
    if target.kind == TargetKind.TEAM_ROUND_ROBIN:
        return _round_robin(target)
    return []


def level_users(*, level: EscalationLevel, at: dt.datetime) -> list[User]:
    """Everyone the level pages, each once, in target order."""
    seen: dict[int, User] = {}
    for target in level.targets.select_related("user", "schedule").all():
        for user in target_users(target=target, at=at):
            seen.setdefault(user.pk, user)
    return list(seen.values())
