"""Writing paging configuration: escalation policies and their service assignments, contact
methods and notification rules. Each write is checked by the access module and audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from watchkeeper.accounts.models import Team, User
from watchkeeper.audit.services import audit_record
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.core.netguard import hosts_check
from watchkeeper.oncall.models import Schedule
from watchkeeper.paging.delivery import apprise_url_hosts
from watchkeeper.paging.models import (
    THROTTLED_KINDS,
    ContactKind,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    NotificationRule,
    ServiceEscalation,
    TargetKind,
    Urgency,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Service

MAX_LEVELS = 20
MAX_TARGETS = 50


@dataclass(frozen=True)
class TargetSpec:
    kind: str
    id: int


@dataclass(frozen=True)
class LevelSpec:
    delay_minutes: int
    targets: list[TargetSpec] = field(default_factory=list)


def _target(actor: access.ActorLike, spec: TargetSpec, client: Client | None) -> EscalationTarget:
    if spec.kind not in TargetKind.values:
        raise InvalidInput(f"Target kind must be one of {', '.join(TargetKind.values)}.", field="targets")
    if spec.kind == TargetKind.USER:
        user = User.objects.filter(pk=spec.id, is_active=True).first()
        if (
            user is None
            or not user.is_msp
            or (client is not None and not access.visible_clients(user).filter(pk=client.pk).exists())
        ):
            raise InvalidInput(
                f"Unknown user {spec.id} (or they cannot work on this client).", field="targets"
            )
        return EscalationTarget(kind=spec.kind, user=user)
    if spec.kind == TargetKind.SCHEDULE:
        schedule = Schedule.objects.filter(pk=spec.id).first()
        if schedule is None or (
            schedule.client_id is not None and schedule.client_id != getattr(client, "pk", None)
        ):
            raise InvalidInput(f"Unknown schedule {spec.id}.", field="targets")
        return EscalationTarget(kind=spec.kind, schedule=schedule)
    team = Team.objects.filter(pk=spec.id).first()
    if team is None:
        raise InvalidInput(f"Unknown team {spec.id}.", field="targets")
    return EscalationTarget(kind=spec.kind, team=team)


def _levels_write(actor: access.ActorLike, policy: EscalationPolicy, levels: list[LevelSpec]) -> None:
    if not levels or len(levels) > MAX_LEVELS:
        raise InvalidInput(f"A policy needs 1 to {MAX_LEVELS} levels.", field="levels")
    policy.levels.all().delete()
    for position, spec in enumerate(levels):
        if not 0 <= spec.delay_minutes <= 24 * 60:
            raise InvalidInput("A level's delay is 0 to 1440 minutes.", field="levels")
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
    name: str, repeat: int, client: Client | None, is_default: bool, exclude: int | None
) -> None:
    others = (
        EscalationPolicy.objects.exclude(pk=exclude)
        if exclude is not None
        else EscalationPolicy.objects.all()
    )
    if not name.strip():
        raise InvalidInput("A policy needs a name.", field="name")
    if others.filter(name=name.strip()).exists():
        raise InvalidInput(f"There already is a policy named '{name.strip()}'.", field="name")
    if not 0 <= repeat <= 10:
        raise InvalidInput("Repeat is 0 to 10 times.", field="repeat")
    if is_default and others.filter(client=client, is_default=True).exists():
        whose = f"{client.name}'s" if client else "the MSP-wide"
        raise InvalidInput(f"There already is {whose} default policy.", field="is_default")


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
    _check_policy(name, repeat, client, is_default, policy.pk if policy else None)
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


def policy_delete(*, actor: access.ActorLike, policy: EscalationPolicy) -> None:
    access.require(actor, "escalation.manage")
    if policy.service_links.exists():
        raise InvalidInput("Services still use this policy: assign them another one first.", field="policy")
    with transaction.atomic():
        audit_record(actor=actor, action="escalation_policy.delete", obj=policy)
        policy.delete()


def service_policy_set(*, actor: access.ActorLike, service: Service, policy: EscalationPolicy | None) -> None:
    """Page for `service` with `policy` (None: the client's or the MSP's default)."""
    access.require(actor, "escalation.manage")
    if policy is not None and policy.client_id not in (None, service.client_id):
        raise InvalidInput("That policy belongs to another client.", field="policy")
    with transaction.atomic():
        if policy is None:
            ServiceEscalation.objects.filter(service=service).delete()
        else:
            ServiceEscalation.objects.update_or_create(service=service, defaults={"policy": policy})
        audit_record(actor=actor, action="service.escalation_policy", obj=service)


def _require_self_or_admin(actor: access.ActorLike, user: User) -> None:
    if access.as_actor(actor).user.pk == user.pk:
        access.require(actor, "paging.self")
    else:
        access.require(actor, "users.manage")


def _check_address(kind: str, address: str) -> str:
    address = address.strip()
    if kind not in ContactKind.values:
        raise InvalidInput(f"Kind must be one of {', '.join(ContactKind.values)}.", field="kind")
    if kind == ContactKind.EMAIL:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise InvalidInput("Enter a valid e-mail address.", field="address") from exc
    else:
        hosts = apprise_url_hosts(address)
        if hosts is None:
            raise InvalidInput(
                "Enter a notification URL Apprise understands (e.g. tgram://…).", field="address"
            )
        hosts_check(hosts, field="address")  # the SSRF guard: no internal networks unless allowed
    return address


def _hint(kind: str, address: str) -> str:
    if kind == ContactKind.EMAIL:
        return address[:60]
    scheme, _, rest = address.partition("://")
    return f"{scheme}://…{rest[-4:]}" if len(rest) > 8 else f"{scheme}://…"


def contact_method_create(
    *, actor: access.ActorLike, user: User, kind: str, label: str, address: str, throttle: int | None = None
) -> ContactMethod:
    _require_self_or_admin(actor, user)
    address = _check_address(kind, address)
    if throttle is not None and not 0 <= throttle <= 100:
        raise InvalidInput(
            "Throttle is 0 (none) to 100 messages per 15 minutes.", field="throttle_per_15_minutes"
        )
    default_throttle = 3 if kind in THROTTLED_KINDS else 0
    method = ContactMethod(
        user=user, kind=kind, label=(label.strip() or ContactKind(kind).label)[:100],
        address_hint=_hint(kind, address),
        throttle_per_15_minutes=default_throttle if throttle is None else throttle,
    )  # fmt: skip
    method.address = address
    with transaction.atomic():
        method.save()
        audit_record(actor=actor, action="contact_method.create", obj=method)
    return method


def contact_method_delete(*, actor: access.ActorLike, method: ContactMethod) -> None:
    _require_self_or_admin(actor, method.user)
    with transaction.atomic():
        audit_record(actor=actor, action="contact_method.delete", obj=method)
        method.delete()


def rule_create(
    *, actor: access.ActorLike, user: User, contact_method_id: int, delay_minutes: int, urgency: str
) -> NotificationRule:
    _require_self_or_admin(actor, user)
    method = ContactMethod.objects.filter(pk=contact_method_id, user=user).first()
    if method is None:
        raise InvalidInput(f"Unknown contact method {contact_method_id}.", field="contact_method")
    if urgency not in Urgency.values:
        raise InvalidInput("Urgency is high or low.", field="urgency")
    if not 0 <= delay_minutes <= 24 * 60:
        raise InvalidInput("Delay is 0 to 1440 minutes.", field="delay_minutes")
    with transaction.atomic():
        rule, created = NotificationRule.objects.get_or_create(
            user=user, urgency=urgency, contact_method=method, delay_minutes=delay_minutes
        )
        if created:
            audit_record(actor=actor, action="notification_rule.create", obj=rule)
    return rule


def rule_delete(*, actor: access.ActorLike, rule: NotificationRule) -> None:
    _require_self_or_admin(actor, rule.user)
    with transaction.atomic():
        audit_record(actor=actor, action="notification_rule.delete", obj=rule)
        rule.delete()


def method_of(*, user: User, pk: int) -> ContactMethod:
    method = ContactMethod.objects.filter(pk=pk, user=user).first()
    if method is None:
        raise NotFound(f"No contact method {pk}.")
    return method


def rule_of(*, user: User, pk: int) -> NotificationRule:
    rule = NotificationRule.objects.filter(pk=pk, user=user).select_related("user").first()
    if rule is None:
        raise NotFound(f"No notification rule {pk}.")
    return rule
