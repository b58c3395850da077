"""The comms panels (core/panels.py): on the incident page, the client communication (next
update due, what was sent to whom, held replies, a link to write an update); on the client
page, the contacts' roles."""

from __future__ import annotations

from django.template.loader import render_to_string

from watchkeeper.comms import selectors
from watchkeeper.comms.configuration import ROLE_KEYS
from watchkeeper.comms.models import PORTAL_USERS, HeldReply
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client


def incident_comms(request: AuthenticatedHttpRequest, *, incident: Incident) -> str:
    user = request.user
    policy = selectors.policy_for(incident.client)
    rule = selectors.rule_for(policy, incident)
    context = {
        "incident": incident,
        "state": selectors.incident_state(incident=incident),
        "updates": selectors.incident_updates(incident=incident, limit=10),
        "held": list(HeldReply.objects.filter(incident=incident)[:10]),
        "rule": rule,
        "has_policy": policy is not None,
        "can_send": incident.is_open and access.can(user, "incidents.respond", client=incident.client),
        "now": clock.now(),
        "tz": user.zone,
    }
    return render_to_string("comms/partials/incident_panel.html", context, request=request)


def client_contacts(request: AuthenticatedHttpRequest, *, client: Client) -> str:
    user = request.user
    if not access.can(user, "client.view", client=client) or user.is_portal_user:
        return ""
    context = {
        "client": client,
        "contacts": selectors.contact_roles(client=client),
        "roles": [r for r in ROLE_KEYS if r != PORTAL_USERS],
        "can_edit": access.can(user, "contacts.manage", client=client),
        "policy": selectors.policy_for(client),
    }
    return render_to_string("comms/partials/client_contacts.html", context, request=request)
