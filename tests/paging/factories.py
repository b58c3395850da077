"""Paging objects for tests: a client's policy, a technician's contact method and rule."""

from __future__ import annotations

from typing import Any

from watchkeeper.paging.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    NotificationRule,
    OutboxMessage,
    TargetKind,
)


def client_policy(tenant: Any) -> EscalationPolicy:
    policy, created = EscalationPolicy.objects.get_or_create(
        name=f"{tenant.client.name} on call", defaults={"client": tenant.client, "is_default": True}
    )
    if created:
        level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
        EscalationTarget.objects.create(level=level, kind=TargetKind.USER, user=tenant.technician)
    return policy


def technician_method(tenant: Any) -> ContactMethod:
    method = ContactMethod.objects.filter(user=tenant.technician).first()
    if method is None:
        label = f"Work e-mail for {tenant.client.name}"
        method = ContactMethod(user=tenant.technician, kind="email", label=label, address_hint="work")
        method.address = tenant.technician.email
        method.save()
    return method


def technician_log(tenant: Any) -> OutboxMessage:
    """A page sent to the technician about the tenant's incident."""
    message, _ = OutboxMessage.objects.get_or_create(
        dedup_key=f"page:{tenant.incident.pk}:test",
        defaults={
            "cause": f"page:{tenant.incident.pk}:test",
            "user": tenant.technician, "incident": tenant.incident,
            "contact_method": technician_method(tenant), "subject": f"[P2] {tenant.client.name}: server down",
            "text": "test", "state": "sent",
        },
    )  # fmt: skip
    return message


def technician_rule(tenant: Any) -> NotificationRule:
    rule, _ = NotificationRule.objects.get_or_create(
        user=tenant.technician, urgency="high", contact_method=technician_method(tenant), delay_minutes=0
    )
    return rule
