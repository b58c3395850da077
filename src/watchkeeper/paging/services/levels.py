"""Writing an escalation policy's levels and targets one change at a time (the console), by
the rules of `policies` (its docstring lists what every write keeps true). Each function passes
`policies.policy_change_check` for the policy's client (an MSP-wide policy: only someone who sees
every client), holds the policy's row lock in one transaction and is audited."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from watchkeeper.audit.services import audit_record
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.paging.models import EscalationLevel, EscalationPolicy, EscalationTarget
from watchkeeper.paging.services.policies import (
    MAX_LEVELS,
    MAX_TARGETS,
    TargetSpec,
    delay_check,
    policy_change_check,
    policy_in_use,
    policy_locked,
    target_for,
)
from watchkeeper.tenancy import access

# Where a level waits while two levels swap places (positions are unique per policy); no real
# level is there, MAX_LEVELS keeps them far below.
_SWAP_POSITION = 32_767


def _locked_level(
    actor: access.ActorLike, level: EscalationLevel
) -> tuple[EscalationPolicy, EscalationLevel]:
    policy = policy_locked(level.policy, actor=actor)
    fresh = EscalationLevel.objects.filter(pk=level.pk, policy=policy).first()
    if fresh is None:
        raise NotFound("That level was removed meanwhile.")
    return policy, fresh


def _level_audit(
    actor: access.ActorLike, policy: EscalationPolicy, action: str, via: str, **after: object
) -> None:
    audit_record(actor=actor, action=f"escalation_policy.{action}", obj=policy, after=dict(after), via=via)


def policy_level_add(
    *,
    actor: access.ActorLike,
    policy: EscalationPolicy,
    delay_minutes: int,
    target: TargetSpec,
    via: str = "console",
) -> EscalationLevel:
    """A new last level paging `target` (a level always has someone to page)."""
    policy_change_check(actor, client=policy.client)
    delay_check(delay_minutes)
    with transaction.atomic():
        locked = policy_locked(policy, actor=actor)
        if locked.levels.count() >= MAX_LEVELS:
            raise InvalidInput(f"A policy has at most {MAX_LEVELS} levels.", field="levels")
        built = target_for(actor, target, locked.client)
        last = locked.levels.aggregate(last=Max("position"))["last"]
        level = EscalationLevel.objects.create(
            policy=locked, position=0 if last is None else last + 1, delay_minutes=delay_minutes
        )
        built.level = level
        built.save()
        _level_audit(
            actor, locked, "level_add", via, level=level.pk, delay_minutes=delay_minutes, target=str(built)
        )
    return level


def policy_level_update(
    *, actor: access.ActorLike, level: EscalationLevel, delay_minutes: int, via: str = "console"
) -> EscalationLevel:
    policy_change_check(actor, client=level.policy.client)
    delay_check(delay_minutes)
    with transaction.atomic():
        policy, fresh = _locked_level(actor, level)
        fresh.delay_minutes = delay_minutes
        fresh.save(update_fields=["delay_minutes"])
        _level_audit(actor, policy, "level_update", via, level=fresh.pk, delay_minutes=delay_minutes)
    return fresh


def policy_level_move(
    *, actor: access.ActorLike, level: EscalationLevel, offset: int, via: str = "console"
) -> int:
    """Swap the level with the one above (offset -1) or below (+1); returns its new number
    (1 = first). An escalation under way keeps its place: its next step pages whichever level
    is then at the next position."""
    policy_change_check(actor, client=level.policy.client)
    if offset not in {-1, 1}:
        raise InvalidInput("Move a level one place up or down.", field="direction")
    with transaction.atomic():
        policy, fresh = _locked_level(actor, level)
        levels = list(policy.levels.order_by("position"))
        here = next(index for index, each in enumerate(levels) if each.pk == fresh.pk)
        there = here + offset
        if not 0 <= there < len(levels):
            end = "first" if offset < 0 else "last"
            raise InvalidInput(f"Level {here + 1} already is the {end}.", field="direction")
        other = levels[there]
        mine, theirs = fresh.position, other.position
        for row, position in ((fresh, _SWAP_POSITION), (other, mine), (fresh, theirs)):
            row.position = position
            row.save(update_fields=["position"])
        _level_audit(actor, policy, "level_move", via, level=fresh.pk, number=there + 1)
    return there + 1


def policy_level_remove(*, actor: access.ActorLike, level: EscalationLevel, via: str = "console") -> None:
    """Remove the level and its targets; the levels after it move up. The only level of a
    policy that pages for something stays: without it nobody would be paged."""
    policy_change_check(actor, client=level.policy.client)
    with transaction.atomic():
        policy, fresh = _locked_level(actor, level)
        levels = list(policy.levels.order_by("position"))
        if len(levels) == 1 and policy_in_use(policy):
            raise InvalidInput(
                "This is the policy's only level and the policy is in use (a default, or assigned to "
                "services): removing it would page nobody. Add another level first.",
                field="levels",
            )
        removed = fresh.pk
        fresh.delete()
        # Ascending, one row at a time: each moves into a place just vacated (positions are
        # unique, checked row by row on both databases).
        for position, rest in enumerate(each for each in levels if each.pk != removed):
            if rest.position != position:
                rest.position = position
                rest.save(update_fields=["position"])
        _level_audit(actor, policy, "level_remove", via, level=removed)


def _same(one: EscalationTarget, other: EscalationTarget) -> bool:
    return (one.kind, one.user_id, one.schedule_id, one.team_id) == (
        other.kind, other.user_id, other.schedule_id, other.team_id,
    )  # fmt: skip


def policy_target_add(
    *, actor: access.ActorLike, level: EscalationLevel, target: TargetSpec, via: str = "console"
) -> EscalationTarget:
    policy_change_check(actor, client=level.policy.client)
    with transaction.atomic():
        policy, fresh = _locked_level(actor, level)
        existing = list(fresh.targets.all())
        if len(existing) >= MAX_TARGETS:
            raise InvalidInput(f"A level pages at most {MAX_TARGETS} targets.", field="targets")
        built = target_for(actor, target, policy.client)
        if any(_same(built, each) for each in existing):
            raise InvalidInput(f"Level {fresh.position + 1} already pages {built}.", field="targets")
        built.level = fresh
        built.save()
        _level_audit(actor, policy, "target_add", via, level=fresh.pk, target=str(built))
    return built


def policy_target_remove(*, actor: access.ActorLike, target: EscalationTarget, via: str = "console") -> None:
    """Remove a target; a level's last one stays (remove the level instead)."""
    policy_change_check(actor, client=target.level.policy.client)
    with transaction.atomic():
        policy, level = _locked_level(actor, target.level)
        targets = list(level.targets.all())
        if target.pk not in {each.pk for each in targets}:
            raise NotFound("That target was removed meanwhile.")
        if len(targets) == 1:
            raise InvalidInput(
                f"Level {level.position + 1} needs someone to page: add another target before removing "
                "this one, or remove the whole level.",
                field="targets",
            )
        described = str(target)
        target.delete()
        _level_audit(actor, policy, "target_remove", via, level=level.pk, target=described)
