"""Writing paging configuration: contact methods and notification rules (escalation policies
are in `policies`). Each write is checked by the access module and audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.audit.services import audit_record
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.core.netguard import hosts_check
from watchkeeper.paging.delivery import apprise_url_hosts
from watchkeeper.paging.models import THROTTLED_KINDS, ContactKind, ContactMethod, NotificationRule, Urgency
from watchkeeper.tenancy import access


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
        hosts = apprise_url_hosts(address)  # refuses URLs Apprise does not know, and schemes
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
