"""Helpers to build communication policies and contacts with roles."""

from __future__ import annotations

from typing import Any

from tests.tenancy.factories import ContactFactory
from watchkeeper.comms.models import CommunicationPolicy, ContactRoles
from watchkeeper.tenancy.models import Client, Contact

ALL_EVENTS = ["opened", "update", "waiting", "resolved", "review"]


def policy_make(client: Client | None, **rules: Any) -> CommunicationPolicy:
    """`policy_make(client, P1=(["technical"], 30))`: roles and cadence per priority, every event."""
    return CommunicationPolicy.objects.create(
        client=client,
        rules={
            priority: {"roles": roles, "events": list(ALL_EVENTS), "cadence_minutes": cadence}
            for priority, (roles, cadence) in rules.items()
        },
    )


def contact_make(client: Client, name: str, email: str, *roles: str, **fields: Any) -> Contact:
    contact = ContactFactory(client=client, name=name, email=email, **fields)
    ContactRoles.objects.create(contact=contact, roles=list(roles))
    return contact
