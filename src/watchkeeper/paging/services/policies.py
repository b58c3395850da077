"""Writing escalation policies and their service assignments, checked by the access module
(`policy_change_check`, the one check of every write) and audited. Levels and targets one at
a time are in `levels`.

Two ways in, one set of rules: `policy_save` replaces a whole policy (the API's PUT); the
console makes one change at a time (here and in `levels`). What every write keeps true:

- a policy's levels are numbered 0..n-1 without gaps (`position`);
- a policy that pages for something (a default, or assigned to a service) has at least one
  level; a level written here has at least one target;
- a target is a person who may work on the policy's client, a schedule of that client or an
  MSP-wide one, or a team (`target_for`, the one rule);
- each change runs in one transaction holding the policy's row lock (`policy_locked`), so two
  people editing one policy queue up instead of colliding on level positions (SQLite's
  IMMEDIATE transactions serialise writers anyway);
- an MSP-wide policy pages for every client, so only someone who sees every client changes it
  (`policy_change_check`); a policy that pages for something is never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

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


@dataclass(frozen=True)
class TargetSpec:
    kind: str
    id: int


@dataclass(frozen=True)
class LevelSpec:
    delay_minutes: int
    targets: list[TargetSpec] = field(default_factory=list)


def policy_can_change(actor: access.ActorLike, *, client: Client | None) -> bool:
    """Whether the actor may change what pages for `client` (None: every client)."""
    return access.can_write(actor, "escalation.manage", client=client)


def policy_change_check(actor: access.ActorLike, *, client: Client | None) -> None:
    """The one check of every write of escalation policies, levels, targets, defaults and service
    assignments. `client` is the client whose paging the write changes: the policy's, None for an
    MSP-wide policy (it pages for every client, so a person restricted to some clients or a token
    restricted to one may read it but not change it: 403), or the service's for an assignment."""
    access.require_write(actor, "escalation.manage", client=client)


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


def target_for(actor: access.ActorLike, spec: TargetSpec, client: Client | None) -> EscalationTarget:
    """The target `spec` names for a policy of `client`, unsaved; InvalidInput (400) for
    anything such a policy may not page. Shared by every write of targets."""
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


def delay_check(delay_minutes: int, field: str = "delay_minutes") -> None:
    if not 0 <= delay_minutes <= MAX_DELAY:
        raise InvalidInput(f"A level's delay is 0 to {MAX_DELAY} minutes.", field=field)


def _levels_write(actor: access.ActorLike, policy: EscalationPolicy, levels: list[LevelSpec]) -> None:
    if not levels or len(levels) > MAX_LEVELS:
        raise InvalidInput(f"A policy needs 1 to {MAX_LEVELS} levels.", field="levels")
    policy.levels.all().delete()
    for position, spec in enumerate(levels):
        delay_check(spec.delay_minutes, field="levels")
        if not spec.targets or len(spec.targets) > MAX_TARGETS:
            raise InvalidInput(f"Level {position + 1} needs 1 to {MAX_TARGETS} targets.", field="levels")
        targets = [target_for(actor, target, policy.client) for target in spec.targets]
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
    if policy is not None:
        policy_change_check(actor, client=policy.client)  # what it paged for until now
    _check_policy(name, repeat, client, is_default, policy.pk if policy else None, description)
    _check_client(actor, client)
    policy_change_check(actor, client=client)  # what it pages for from now on
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
    policy_change_check(actor, client=client)
    policy = EscalationPolicy(
        name=name.strip(), description=description.strip(), client=client, repeat=repeat
    )
    with transaction.atomic():
        _save_named(policy)
        audit_record(
            actor=actor, action="escalation_policy.create", obj=policy, after=snapshot(policy), via=via
        )
    return policy


def policy_locked(policy: EscalationPolicy, *, actor: access.ActorLike | None = None) -> EscalationPolicy:
    """The policy re-read under its row lock; caller is in a transaction. With `actor`, checked
    again as it is now (a concurrent PUT may have given it to another client)."""
    locked = (
        EscalationPolicy.objects.select_for_update(of=("self",))
        .filter(pk=policy.pk)
        .select_related("client")
        .first()
    )
    if locked is None:
        raise NotFound(f"No escalation policy {policy.pk}.")
    if actor is not None and locked.client_id != policy.client_id:
        policy_change_check(actor, client=locked.client)
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
    policy_change_check(actor, client=policy.client)
    _check_policy(name, repeat, policy.client, False, policy.pk, description)
    with transaction.atomic():
        locked = policy_locked(policy, actor=actor)
        before = snapshot(locked)
        locked.name, locked.description, locked.repeat = name.strip(), description.strip(), repeat
        _save_named(locked, locked.touch_fields("name", "description", "repeat"))
        audit_record(
            actor=actor, action="escalation_policy.update", obj=locked, before=before, after=snapshot(locked),
            via=via,
        )  # fmt: skip
    return locked


def policy_delete(*, actor: access.ActorLike, policy: EscalationPolicy) -> None:
    """Refused (400) while the policy pages for something: a default (its client's, or the NOC
    default of every client) or assigned to services; deleting it would leave them paging
    nobody, or another policy nobody chose. Incidents still escalating with it stop at their
    next step."""
    policy_change_check(actor, client=policy.client)
    with transaction.atomic():
        locked = policy_locked(policy, actor=actor)
        if locked.service_links.exists():
            raise InvalidInput(
                "Services still use this policy: assign them another one first.", field="policy"
            )
        if locked.is_default:
            whose = f"{locked.client.name}'s default" if locked.client else "the NOC default"
            raise InvalidInput(
                f"{locked.name} is {whose}: make another policy the default (or stop this one being "
                "the default) before deleting it.",
                field="policy",
            )
        audit_record(actor=actor, action="escalation_policy.delete", obj=locked)
        locked.delete()


def policy_in_use(policy: EscalationPolicy) -> bool:
    """A default, or assigned to a service: removing its last level would page nobody."""
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
    policy_change_check(actor, client=policy.client)
    with transaction.atomic():
        locked = policy_locked(policy, actor=actor)
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


def service_policy_set(*, actor: access.ActorLike, service: Service, policy: EscalationPolicy | None) -> None:
    """Page for `service` with `policy` (None: the client's or the MSP's default). Changes the
    paging of the service's client only, so an MSP-wide policy may be assigned by anyone who
    may change that client's paging."""
    policy_change_check(actor, client=service.client)
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
