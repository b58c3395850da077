"""Reads of paging, scoped by the access module.

Escalation policies are MSP data: MSP staff see the MSP-wide ones and those of the clients
they see; portal users see none. A person's contact methods, rules and notification log are
theirs: they see their own, MSP admins (users.manage) see anyone's.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from watchkeeper.accounts.models import MSP_ADMIN_ROLES, User
from watchkeeper.core.errors import NotFound
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.models import (
    ContactMethod,
    EscalationPolicy,
    IncidentEscalation,
    NotificationRule,
    OutboxMessage,
)
from watchkeeper.tenancy import access


def policy_list(*, actor: access.ActorLike) -> QuerySet[EscalationPolicy]:
    if not access.can(actor, "escalation.view"):
        return EscalationPolicy.objects.none()
    visible = Q(client__isnull=True) | Q(client__in=access.visible_clients(actor).values("pk"))
    return EscalationPolicy.objects.filter(visible).select_related("client").order_by("name", "id")


def policy_access(*, actor: access.ActorLike, pk: int) -> EscalationPolicy:
    policy = (
        policy_list(actor=actor)
        .prefetch_related("levels__targets__user", "levels__targets__team", "levels__targets__schedule")
        .filter(pk=pk)
        .first()
    )
    if policy is None:
        raise NotFound(f"No escalation policy {pk}.")
    return policy


def person_access(*, actor: access.ActorLike, user_id: int) -> User:
    """The MSP user whose paging settings the actor may see: themself, or anyone for admins."""
    me = access.as_actor(actor).user
    if user_id == me.pk and me.is_msp and access.can(actor, "console.use"):
        return me
    # Reading anyone's: an MSP owner or admin whose token is not narrowed to one client
    # (changing them also needs the admin scope: see services.config).
    if me.role in MSP_ADMIN_ROLES and access.sees_every_client(actor):
        person = User.objects.filter(pk=user_id).first()
        if person is not None and person.is_msp:
            return person
    raise NotFound(f"No user {user_id}.")


def contact_methods(*, user: User) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user=user).order_by("id")


def notification_rules(*, user: User) -> QuerySet[NotificationRule]:
    rules = NotificationRule.objects.filter(user=user).select_related("contact_method")
    return rules.order_by("urgency", "delay_minutes", "id")


def message_log(*, user: User) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.filter(user=user).select_related("contact_method", "incident__client")
    return messages.order_by("-created_at", "-id")


def incident_escalation(*, incident: Incident) -> IncidentEscalation | None:
    return IncidentEscalation.objects.select_related("policy").filter(incident=incident).first()
