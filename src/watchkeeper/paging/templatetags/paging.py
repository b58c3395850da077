"""Panels other apps' pages include: paging on the incident page, contact methods on the
account page. `{% load paging %}{% paging_incident_panel incident %}`."""

from __future__ import annotations

from typing import Any

from django import template

from watchkeeper.accounts.models import MSP_ADMIN_ROLES, MSP_ROLES, User
from watchkeeper.incidents.models import Incident
from watchkeeper.paging import selectors
from watchkeeper.paging.models import ContactKind
from watchkeeper.paging.services.escalation import policy_for_incident
from watchkeeper.tenancy import access

register = template.Library()


@register.inclusion_tag("paging/partials/incident_panel.html", takes_context=True)
def paging_incident_panel(context: dict[str, Any], incident: Incident) -> dict[str, Any]:
    user: User = context["request"].user
    can_respond = access.can(user, "incidents.respond", client=incident.client)
    policy = policy_for_incident(incident=incident) if can_respond else None
    people = []
    if can_respond:
        staff = User.objects.filter(role__in=MSP_ROLES, is_active=True).order_by("full_name")
        works = staff.filter(role__in=MSP_ADMIN_ROLES) | staff.filter(all_clients=True)
        people = list((works | staff.filter(assigned_clients=incident.client)).distinct()[:200])
    return {
        "incident": incident, "escalation": selectors.incident_escalation(incident=incident),
        "can_respond": can_respond, "levels": list(policy.levels.all()) if policy else [],
        "people": people, "csrf_token": context.get("csrf_token"),
    }  # fmt: skip


@register.inclusion_tag("paging/partials/account_panel.html", takes_context=True)
def paging_account_panel(context: dict[str, Any]) -> dict[str, Any]:
    user: User = context["request"].user
    if not user.is_msp:
        return {"hidden": True}
    return {
        "methods": list(selectors.contact_methods(user=user)),
        "rules": list(selectors.notification_rules(user=user)),
        "kinds": ContactKind.choices, "csrf_token": context.get("csrf_token"),
    }  # fmt: skip
