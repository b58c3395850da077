"""Reads: the policy that applies to a client, who receives a message, the incident's
communication state, the leadership view. Scoped by the access module where an actor asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from watchkeeper.accounts.models import User
from watchkeeper.comms.models import (
    PORTAL_USERS,
    ClientUpdate,
    CommunicationPolicy,
    ContactRole,
    ContactRoles,
    IncidentComms,
    MessageTemplate,
    UpdateDelivery,
)
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident
from watchkeeper.sla.models import ClockState
from watchkeeper.sla.selectors import clocks_for_incidents, policy_for_client, target_for
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Contact


@dataclass(frozen=True)
class Rule:
    """What a policy says for one priority."""

    roles: tuple[str, ...]
    events: tuple[str, ...]
    cadence: dt.timedelta | None


NO_RULE = Rule(roles=(), events=(), cadence=None)


def policy_for(client: Client) -> CommunicationPolicy | None:
    """The client's own active policy, else the MSP's default, else none (nobody is told)."""
    policies = list(
        CommunicationPolicy.objects.filter(Q(client=client) | Q(client__isnull=True), is_active=True)
    )
    own = [p for p in policies if p.client_id == client.pk]
    return (own or policies)[0] if policies else None


def rule_for(policy: CommunicationPolicy | None, incident: Incident) -> Rule:
    """The policy's rule for the incident's priority. A rule without a cadence takes the SLA's
    client-update target for that priority (wall-clock minutes), so the two agree."""
    if policy is None:
        return NO_RULE
    raw = policy.rules.get(incident.priority) if isinstance(policy.rules, dict) else None
    if not isinstance(raw, dict):
        return NO_RULE
    minutes = raw.get("cadence_minutes")
    if minutes is None:
        sla = policy_for_client(incident.client)
        target = target_for(sla, incident.priority) if sla is not None else None
        minutes = target.update_minutes if target is not None else None
    return Rule(
        roles=tuple(raw.get("roles") or ()),
        events=tuple(raw.get("events") or ()),
        cadence=dt.timedelta(minutes=int(minutes)) if minutes else None,
    )


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str
    why: str  # "technical contact", "portal user"


def recipients_for(*, client: Client, roles: Sequence[str]) -> list[Recipient]:
    """Who receives a message addressed to `roles`: the client's contacts holding one of them
    (with an e-mail address, who take incident updates) and, with "portal", its portal users.
    One row per address, in a stable order. Two queries."""
    wanted = set(roles) - {PORTAL_USERS}
    found: dict[str, Recipient] = {}
    if wanted:
        contacts = Contact.objects.filter(client=client, receives_incident_updates=True).exclude(email="")
        for contact in contacts.select_related("comms_roles").order_by("name", "pk"):
            held = set(_roles_of(contact))
            matched = sorted(held & wanted)
            if matched:
                found.setdefault(
                    contact.email.lower(), Recipient(contact.name, contact.email, f"{matched[0]} contact")
                )
    if PORTAL_USERS in roles:
        users = access.portal_users_for(client).exclude(email="")
        for user in users.order_by("email"):
            found.setdefault(
                user.email.lower(), Recipient(user.get_full_name() or user.email, user.email, "portal user")
            )
    return list(found.values())


def _roles_of(contact: Contact) -> list[str]:
    try:
        roles = list(contact.comms_roles.roles)
    except ContactRoles.DoesNotExist:
        roles = []
    if contact.is_primary and ContactRole.PRIMARY not in roles:
        roles.append(ContactRole.PRIMARY)
    return roles


def is_client_sender(*, client: Client, address: str) -> tuple[str, User | None] | None:
    """Whether `address` is one of the client's contacts or portal users: their name and, for a
    portal user, the account. None: a stranger (their reply is never attached)."""
    address = address.strip().lower()
    if not address:
        return None
    user = access.portal_users_for(client).filter(email__iexact=address).first()
    if user is not None:
        return user.get_full_name() or user.email, user
    contact = Contact.objects.filter(client=client, email__iexact=address).first()
    if contact is not None:
        return contact.name, None
    return None


def policy_list_for(*, actor: access.ActorLike) -> QuerySet[CommunicationPolicy]:
    """The MSP default and the client policies the actor may see (the caller checks that the
    actor may read policies at all: after the lookup, so another client's is 404 for anyone)."""
    return access.scope_shared(CommunicationPolicy.objects.select_related("client"), actor).order_by(
        "client__name", "pk"
    )


def template_list_for(*, actor: access.ActorLike, client: Client | None = None) -> QuerySet[MessageTemplate]:
    """As `policy_list_for`: the MSP's templates and the client overrides the actor may see."""
    rows = access.scope_shared(MessageTemplate.objects.select_related("client"), actor)
    if client is not None:
        rows = rows.filter(client=client)
    return rows.order_by("client__name", "kind", "pk")


def contact_roles(*, client: Client) -> list[tuple[Contact, list[str]]]:
    contacts = Contact.objects.filter(client=client).select_related("comms_roles").order_by("name", "pk")
    return [(contact, _roles_of(contact)) for contact in contacts]


def incident_state(*, incident: Incident) -> IncidentComms | None:
    return IncidentComms.objects.filter(incident=incident).first()


def update_list_for(*, actor: access.ActorLike) -> QuerySet[ClientUpdate]:
    """Client updates of the incidents the actor may see, newest first, deliveries prefetched."""
    updates = access.scope_for(ClientUpdate.objects.all(), actor, "incidents.view", field="incident__client")
    return updates.prefetch_related("deliveries").order_by("-created_at", "-id")


def incident_updates(*, incident: Incident, limit: int = 20) -> list[ClientUpdate]:
    """The incident's latest messages to the client, each with its deliveries (two queries)."""
    rows = ClientUpdate.objects.filter(incident=incident).order_by("-created_at", "-id")[:limit]
    return list(rows.prefetch_related("deliveries"))


def deliveries_by_entry(*, incident: Incident) -> dict[int, list[UpdateDelivery]]:
    """The e-mails each timeline entry caused (the update itself, or the opening, the wait, the
    resolution that a notice announced), per recipient with its state: two queries."""
    grouped: dict[int, list[UpdateDelivery]] = {}
    updates = ClientUpdate.objects.filter(incident=incident, entry__isnull=False)
    for update in updates.prefetch_related("deliveries"):
        if update.entry_id is not None:
            grouped.setdefault(update.entry_id, []).extend(update.deliveries.all())
    return grouped


def overdue_incident_ids(incident_ids: Sequence[int]) -> set[int]:
    """Which of these incidents have a client update overdue (one query, for the queue)."""
    rows = IncidentComms.objects.filter(incident_id__in=list(incident_ids), overdue_since__isnull=False)
    return set(rows.values_list("incident_id", flat=True))


@dataclass(frozen=True)
class LeadershipRow:
    incident: Incident
    last_update_at: dt.datetime | None
    next_update_due_at: dt.datetime | None
    overdue: bool
    sla_state: str  # the worst running SLA clock's state key (breached, at_risk …), "" without SLA

    @property
    def sla_label(self) -> str:
        return dict(ClockState.choices).get(self.sla_state, self.sla_state.replace("_", " ").capitalize())


_SLA_ORDER = {"breached": 0, "at_risk": 1, "on_track": 2, "paused": 3, "met": 4}


def leadership_rows(*, actor: access.ActorLike, ranks: int = 2, limit: int = 200) -> list[LeadershipRow]:
    """Every open incident of the top `ranks` priorities (P1, P2) of the clients the actor sees,
    most urgent first: four queries whatever the number of incidents."""
    incidents = access.scope_for(Incident.objects.all(), actor, "incidents.view").filter(
        status__in=OPEN_INCIDENT_STATUSES, priority_rank__lte=ranks
    )
    rows = list(
        incidents.select_related("client", "owner", "service").order_by("priority_rank", "opened_at", "id")[
            :limit
        ]
    )
    ids = [row.pk for row in rows]
    states = {state.incident_id: state for state in IncidentComms.objects.filter(incident_id__in=ids)}
    clocks = clocks_for_incidents(ids)
    out = []
    for incident in rows:
        state = states.get(incident.pk)
        running = [c.state for c in clocks.get(incident.pk, []) if c.state != "met"]
        worst = min(running, key=lambda s: _SLA_ORDER.get(s, 9)) if running else ""
        out.append(
            LeadershipRow(
                incident=incident,
                last_update_at=state.last_update_at if state else None,
                next_update_due_at=state.next_update_due_at if state else None,
                overdue=bool(state and state.overdue_since),
                sla_state=worst,
            )
        )
    return out
