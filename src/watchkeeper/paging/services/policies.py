"""Writing escalation policies and their service assignments, checked by the access module
(`escalation.manage`) and audited.

Two ways in, one set of rules: `policy_save` replaces a whole policy (the API's PUT); the
other functions make one change each (the console). What every write keeps true:

- a policy's levels are numbered 0..n-1 without gaps (`position`);
- a policy that pages for something (a default, or assigned to a service) has at least one
  level; a level written here has at least one target;
- a target is a person who may work on the policy's client, a schedule of that client or an
  MSP-wide one, or a team;
- each change runs in one transaction holding the policy's row lock, so two people editing
  one policy queue up instead of colliding on level positions (SQLite's IMMEDIATE
  transactions serialise writers anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max

from watchkeeper.accounts.models import Team
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core.errors import Conflict, InvalidInput, NotFound
from watchkeeper.oncall.models import Schedule
from watchkeeper.paging.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    ServiceEscalation,
    TargetKind,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Service

MAX_LEVELS = 20
MAX_TARGETS = 50
MAX_DELAY = 24 * 60
MAX_REPEAT = 10
NAME_LENGTH = 150
# Where a level waits while two levels swap places (positions are unique per policy); no real
# level is there, MAX_LEVELS keeps them far below.
_SWAP_POSITION = 32_767


@dataclass(frozen=True)
class TargetSpec:
    kind: str
    id: int


@dataclass(frozen=True)
class LevelSpec:
    delay_minutes: int
    targets: list[TargetSpec] = field(default_factory=list)


def _schedule_target(actor: access.ActorLike, spec: TargetSpec, client: Client | None) -> EscalationTarget:
    schedule = access.scope_shared(Schedule.objects.all(), actor).filter(pk=spec.id).first()
    if schedule is None:
        raise InvalidInput(f"Unknown schedule {spec.id}.", field="targets")
    if schedule.client_id is not None and schedule.client_id != getattr(client, "pk", None):
        if client is None:
            raise InvalidInput(
                f"The schedule {schedule.name} covers only one client: an MSP-wide policy pages "
                "MSP-wide schedules only.",
                field="targets",
            )
        raise InvalidInput(
            f"The schedule {schedule.name} covers another client: {client.name}'s policy pages "
            f"{client.name}'s own schedules or MSP-wide ones.",
            field="targets",
        )
    return EscalationTarget(kind=spec.kind, schedule=schedule)


def _target(actor: access.ActorLike, spec: TargetSpec, client: Client | None) -> EscalationTarget:
    """The target `spec` names, unsaved; InvalidInput (400) for anything the policy may not page."""
    if spec.kind not in TargetKind.values:
        raise InvalidInput(f"Target kind must be one of {', '.join(TargetKind.values)}.", field="targets")
    if spec.kind == TargetKind.USER:
        user = access.staff_for_client(client).filter(pk=spec.id).first()
        if user is None:
            raise InvalidInput(
                f"Unknown user {spec.id} (or they cannot work on this client).", field="targets"
            )
        return EscalationTarget(kind=spec.kind, user=user)
    if spec.kind == TargetKind.SCHEDULE:
        return _schedule_target(actor, spec, client)
    team = Team.objects.filter(pk=spec.id).first()
    if team is None:
        raise InvalidInput(f"Unknown team {spec.id}.", field="targets")
    return EscalationTarget(kind=spec.kind, team=team)


def _check_delay(delay_minutes: int, field: str = "delay_minutes") -> None:
    if not 0 <= delay_minutes <= MAX_DELAY:
        raise InvalidInput(f"A level's delay is 0 to {MAX_DELAY} minutes.", field=field)


def _levels_write(actor: access.ActorLike, policy: EscalationPolicy, levels: list[LevelSpec]) -> None:
    if not levels or len(levels) > MAX_LEVELS:
        raise InvalidInput(f"A policy needs 1 to {MAX_LEVELS} levels.", field="levels")
    policy.levels.all().delete()
    for position, spec in enumerate(levels):
        _check_delay(spec.delay_minutes, field="levels")
        if not spec.targets or len(spec.targets) > MAX_TARGETS:
            raise InvalidInput(f"Level {position + 1} needs 1 to {MAX_TARGETS} targets.", field="levels")
        targets = [_target(actor, target, policy.client) for target in spec.targets]
        level = EscalationLevel.objects.create(
            policy=policy, position=position, delay_minutes=spec.delay_minutes
        )
        for target in targets:
            target.level = level
        EscalationTarget.objects.bulk_create(targets)


def _check_policy(
    name: str,
    repeat: int,
    client: Client | None,
    is_default: bool,
    exclude: int | None,
    description: str = "",
) -> None:
    for text, what in ((name, "name"), (description, "description")):
        if "\x00" in text:  # PostgreSQL refuses NUL in text: a 400 here, not a 500 there
            raise InvalidInput(f"The {what} contains a NUL character; remove it.", field=what)
    others = (
        EscalationPolicy.objects.exclude(pk=exclude)
        if exclude is not None
        else EscalationPolicy.objects.all()
    )
    if not name.strip():
        raise InvalidInput("A policy needs a name.", field="name")
    if len(name.strip()) > NAME_LENGTH:
        raise InvalidInput(f"A policy's name is at most {NAME_LENGTH} characters.", field="name")
    if others.filter(name=name.strip()).exists():
        raise InvalidInput(f"There already is a policy named '{name.strip()}'.", field="name")
    if not 0 <= repeat <= MAX_REPEAT:
        raise InvalidInput(f"Repeat is 0 to {MAX_REPEAT} times.", field="repeat")
    if is_default and others.filter(client=client, is_default=True).exists():
        whose = f"{client.name}'s" if client else "the MSP-wide"
        raise InvalidInput(f"There already is {whose} default policy.", field="is_default")


def _check_client(actor: access.ActorLike, client: Client | None) -> None:
    if client is not None and not access.visible_clients(actor).filter(pk=client.pk).exists():
        raise InvalidInput("Unknown client.", field="client")


def policy_save(
    *,
    actor: access.ActorLike,
    name: str,
    levels: list[LevelSpec],
    client: Client | None = None,
    is_default: bool = False,
    repeat: int = 0,
    description: str = "",
    policy: EscalationPolicy | None = None,
) -> EscalationPolicy:
    """Create a policy (or replace `policy`'s fields and levels)."""
    access.require(actor, "escalation.manage")
    _check_policy(name, repeat, client, is_default, policy.pk if policy else None, description)
    _check_client(actor, client)
    if (
        policy is not None
        and client is not None
        and policy.service_links.exclude(service__client=client).exists()
    ):
        raise InvalidInput(
            "Services of another client use this policy: assign them another one before giving it "
            "to one client.",
            field="client",
        )
    with transaction.atomic():
        if policy is None:
            policy = EscalationPolicy(client=client)
        policy.client = client
        policy.name, policy.description = name.strip(), description
        policy.is_default, policy.repeat = is_default, repeat
        policy.save()
        _levels_write(actor, policy, levels)
        audit_record(actor=actor, action="escalation_policy.save", obj=policy)
    return policy


def _save_named(policy: EscalationPolicy, update_fields: list[str] | None = None) -> None:
    """Save; a name taken by a concurrent writer is the same 400 as one taken before."""
    try:
        with transaction.atomic():
            policy.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise InvalidInput(f"There already is a policy named '{policy.name}'.", field="name") from exc


def policy_create(
    *,
    actor: access.ActorLike,
    name: str,
    client: Client | None = None,
    description: str = "",
    repeat: int = 0,
    via: str = "console",
) -> EscalationPolicy:
    """A new policy without levels. It pages nobody until it has one; only then can it become a
    default or be assigned to a service."""
    access.require(actor, "escalation.manage")
    _check_policy(name, repeat, client, False, None, description)
    _check_client(actor, client)
    policy = EscalationPolicy(
        name=name.strip(), description=description.strip(), client=client, repeat=repeat
    )
    with transaction.atomic():
        _save_named(policy)
        audit_record(
            actor=actor, action="escalation_policy.create", obj=policy, after=snapshot(policy), via=via
        )
    return policy


def _locked(policy: EscalationPolicy) -> EscalationPolicy:
    """The policy re-read under its row lock; caller is in a transaction."""
    locked = (
        EscalationPolicy.objects.select_for_update(of=("self",))
        .filter(pk=policy.pk)
        .select_related("client")
        .first()
    )
    if locked is None:
        raise NotFound(f"No escalation policy {policy.pk}.")
    return locked


def policy_update(
    *,
    actor: access.ActorLike,
    policy: EscalationPolicy,
    name: str,
    description: str = "",
    repeat: int = 0,
    via: str = "console",
) -> EscalationPolicy:
    """Name, description and repeat. The client a policy is for does not change here: its
    targets and services were chosen for that client."""
    access.require(actor, "escalation.manage")
    _check_policy(name, repeat, policy.client, False, policy.pk, description)
    with transaction.atomic():
        locked = _locked(policy)
        before = snapshot(locked)
        locked.name, locked.description, locked.repeat = name.strip(), description.strip(), repeat
        _save_named(locked, locked.touch_fields("name", "description", "repeat"))
        audit_record(
            actor=actor, action="escalation_policy.update", obj=locked, before=before, after=snapshot(locked),
            via=via,
        )  # fmt: skip
    return locked


def policy_delete(*, actor: access.ActorLike, policy: EscalationPolicy) -> None:
    """Refused while services use the policy. Deleting a default makes its client's services
    (or, for the NOC default, every client's) fall back to the next default; incidents still
    escalating with it stop at their next step."""
    access.require(actor, "escalation.manage")
    if policy.service_links.exists():
        raise InvalidInput("Services still use this policy: assign them another one first.", field="policy")
    with transaction.atomic():
        audit_record(actor=actor, action="escalation_policy.delete", obj=policy)
        policy.delete()


def _pages_for_something(policy: EscalationPolicy) -> bool:
    return policy.is_default or policy.service_links.exists()


def _require_levels(policy: EscalationPolicy, what: str) -> None:
    if not policy.levels.exists():
        raise InvalidInput(
            f"The policy {policy.name} has no levels yet, so it would page nobody: add a level before "
            f"{what}.",
            field="levels",
        )


def policy_default_set(
    *, actor: access.ActorLike, policy: EscalationPolicy, is_default: bool, via: str = "console"
) -> EscalationPolicy | None:
    """Make `policy` its client's default (an MSP-wide policy: the NOC default), replacing the
    previous one, which is returned; or stop it being the default."""
    access.require(actor, "escalation.manage")
    with transaction.atomic():
        locked = _locked(policy)
        if locked.is_default == is_default:
            return None
        previous = None
        if is_default:
            _require_levels(locked, "making it the default")
            others = EscalationPolicy.objects.select_for_update().exclude(pk=locked.pk)
            previous = others.filter(client=locked.client, is_default=True).first()
            if previous is not None:
                previous.is_default = False
                previous.save(update_fields=previous.touch_fields("is_default"))
                audit_record(actor=actor, action="escalation_policy.default_unset", obj=previous, via=via)
        locked.is_default = is_default
        try:
            with transaction.atomic():
                locked.save(update_fields=locked.touch_fields("is_default"))
        except IntegrityError as exc:  # another default was set at the same moment
            raise Conflict(
                "Someone changed the default at the same moment: reload the page and try again."
            ) from exc
        action = "escalation_policy.default_set" if is_default else "escalation_policy.default_unset"
        audit_record(actor=actor, action=action, obj=locked, via=via)
    return previous


def _locked_level(level: EscalationLevel) -> tuple[EscalationPolicy, EscalationLevel]:
    policy = _locked(level.policy)
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
    access.require(actor, "escalation.manage")
    _check_delay(delay_minutes)
    with transaction.atomic():
        locked = _locked(policy)
        if locked.levels.count() >= MAX_LEVELS:
            raise InvalidInput(f"A policy has at most {MAX_LEVELS} levels.", field="levels")
        built = _target(actor, target, locked.client)
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
    access.require(actor, "escalation.manage")
    _check_delay(delay_minutes)
    with transaction.atomic():
        policy, fresh = _locked_level(level)
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
    access.require(actor, "escalation.manage")
    if offset not in {-1, 1}:
        raise InvalidInput("Move a level one place up or down.", field="direction")
    with transaction.atomic():
        policy, fresh = _locked_level(level)
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
    access.require(actor, "escalation.manage")
    with transaction.atomic():
        policy, fresh = _locked_level(level)
        levels = list(policy.levels.order_by("position"))
        if len(levels) == 1 and _pages_for_something(policy):
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
    access.require(actor, "escalation.manage")
    with transaction.atomic():
        policy, fresh = _locked_level(level)
        existing = list(fresh.targets.all())
        if len(existing) >= MAX_TARGETS:
            raise InvalidInput(f"A level pages at most {MAX_TARGETS} targets.", field="targets")
        built = _target(actor, target, policy.client)
        if any(_same(built, each) for each in existing):
            raise InvalidInput(f"Level {fresh.position + 1} already pages {built}.", field="targets")
        built.level = fresh
        built.save()
        _level_audit(actor, policy, "target_add", via, level=fresh.pk, target=str(built))
    return built


def policy_target_remove(*, actor: access.ActorLike, target: EscalationTarget, via: str = "console") -> None:
    """Remove a target; a level's last one stays (remove the level instead)."""
    access.require(actor, "escalation.manage")
    with transaction.atomic():
        policy, level = _locked_level(target.level)
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


def service_policy_set(*, actor: access.ActorLike, service: Service, policy: EscalationPolicy | None) -> None:
    """Page for `service` with `policy` (None: the client's or the MSP's default)."""
    access.require(actor, "escalation.manage")
    if policy is not None and policy.client_id not in (None, service.client_id):
        raise InvalidInput("That policy belongs to another client.", field="policy")
    if policy is not None:
        _require_levels(policy, f"assigning it to {service.name}")
    with transaction.atomic():
        if policy is None:
            ServiceEscalation.objects.filter(service=service).delete()
        else:
            ServiceEscalation.objects.update_or_create(service=service, defaults={"policy": policy})
        audit_record(actor=actor, action="service.escalation_policy", obj=service)
