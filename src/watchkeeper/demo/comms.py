"""Demo client communication: the MSP's default policy and one client's own, a customised
update template, roles for every demo contact (from their job titles), and one incident's thread
with an update and a client's reply. Loading e-mails nobody: the demo's update is recorded as
already sent, and every incident's existing history is marked as seen, so the engine announces
only what happens after the load. Idempotent: keyed on clients, kinds and the update's cause."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from email.message import EmailMessage
from typing import Any

from django.db.models import Max

from watchkeeper.comms.models import (
    ClientUpdate,
    CommunicationPolicy,
    ContactRoles,
    DeliveryState,
    IncidentComms,
    MessageTemplate,
)
from watchkeeper.comms.replies import reply_accept, reply_address
from watchkeeper.comms.selectors import policy_for, rule_for
from watchkeeper.comms.services import update_send
from watchkeeper.core import clock
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, TimelineEntry, TimelineKind
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Contact

THREAD_DOMAIN = "watchkeeper.invalid"
EVERYTHING = ["opened", "update", "waiting", "resolved", "review"]
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "P1": {"roles": ["primary", "technical"], "events": EVERYTHING, "cadence_minutes": 30},
    "P2": {"roles": ["primary", "technical"], "events": EVERYTHING, "cadence_minutes": 120},
    "P3": {"roles": ["primary"], "events": ["opened", "resolved"], "cadence_minutes": None},
}
OWN_POLICY = "hvdental"  # the demo's premium dental practice: managers and portal users too
UPDATE_TEMPLATE = (
    "[{{ incident.reference }}] {{ client.name }}: update on {{ incident.title }}",
    "Hello,\n\n{{ text }}\n\n"
    "What is happening: {{ impact or incident.title }}\n"
    "What we are doing: {{ action or 'Our technicians are on it.' }}\n"
    "When it will be fixed: {{ eta or 'we will tell you as soon as we know' }}\n"
    "{% if next_update_by %}You will hear from us again by {{ next_update_by }}.\n{% endif %}\n"
    "Reply to this e-mail to reach the team working on it.\n— {{ msp.name }} service desk",
)
_ROLE_WORDS = (
    ("billing", ("billing", "financial", "finance")),
    ("technical", ("it", "data", "systems", "technical", "engineer", "administrator")),
    ("management", ("director", "manager", "partner", "chief", "principal", "head", "lead")),
)


def roles_from_title(title: str, *, primary: bool) -> list[str]:
    words = set(title.lower().replace("-", " ").split())
    roles = [role for role, keys in _ROLE_WORDS if words & set(keys)]
    if primary:
        roles.append("primary")
    return sorted(set(roles))


def comms_load(*, created: Counter[str]) -> None:
    _, made = CommunicationPolicy.objects.get_or_create(client=None, defaults={"rules": DEFAULT_RULES})
    created["communication policy"] += made
    client = Client.objects.filter(slug=OWN_POLICY).first()
    if client is not None:
        wider = ["management", "portal"]
        rules = {key: {**rule, "roles": [*rule["roles"], *wider]} for key, rule in DEFAULT_RULES.items()}
        rules["P3"] = DEFAULT_RULES["P3"]
        _, made = CommunicationPolicy.objects.get_or_create(
            client=client,
            defaults={"rules": rules, "from_name": "Harbourview IT desk", "remind_before_minutes": 10},
        )
        created["communication policy"] += made
    _, made = MessageTemplate.objects.get_or_create(
        client=None, kind="update", defaults={"subject": UPDATE_TEMPLATE[0], "body": UPDATE_TEMPLATE[1]}
    )
    created["message template"] += made
    for contact in Contact.objects.filter(comms_roles__isnull=True):
        ContactRoles.objects.create(
            contact=contact, roles=roles_from_title(contact.job_title, primary=contact.is_primary)
        )
        created["contact role set"] += 1
    _history_seen()
    _thread(created)
    _overdue(created)


def _history_seen() -> None:
    """Every incident's existing timeline counts as announced: the demo's history is history."""
    last = dict(
        TimelineEntry.objects.filter(incident__status__in=OPEN_INCIDENT_STATUSES)
        .values("incident_id").annotate(last=Max("pk")).values_list("incident_id", "last")
    )  # fmt: skip
    have = set(IncidentComms.objects.filter(incident_id__in=last).values_list("incident_id", flat=True))
    now = clock.now()
    IncidentComms.objects.bulk_create(
        IncidentComms(
            incident_id=pk,
            seen_entry_id=top,
            thread_id=f"<incident-{pk}.demo@{THREAD_DOMAIN}>",
            cadence_from=now,
        )
        for pk, top in last.items()
        if pk not in have
    )


def _thread(created: Counter[str]) -> None:
    """An open P1/P2 with an update e-mailed to its technical contact and that contact's reply."""
    if ClientUpdate.objects.filter(cause__startswith="entry:", created_by__isnull=False).exists():
        return
    candidates = (
        Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES, priority_rank__lte=2, owner__isnull=False)
        .select_related("client", "owner").order_by("opened_at")[:20]
    )  # fmt: skip
    incident = next(
        (i for i in candidates if i.owner and access.can(i.owner, "incidents.respond", client=i.client)), None
    )
    if incident is None or incident.owner is None:
        return
    update = update_send(
        incident=incident, by=incident.owner,
        text="We found the cause: a failed disk in the storage array. We are moving the affected systems.",
        impact="Some staff cannot open shared files.", action="Moving the shares to healthy disks.",
    )  # fmt: skip
    update.deliveries.update(state=DeliveryState.SENT, sent_at=clock.now(), response="demo: not e-mailed")
    created["client update"] += 1
    delivery = update.deliveries.first()
    if delivery is None:
        return
    reply = EmailMessage()
    reply["From"], reply["To"] = f"{delivery.name} <{delivery.address}>", reply_address(incident)
    reply["Subject"], reply["In-Reply-To"] = f"Re: {update.subject}", delivery.message_id
    reply.set_content(
        "Thanks. Reception can work without the shares until lunch; after that we need the X-rays.\n\n"
        f"On {update.created_at:%a %d %b}, the service desk wrote:\n> {update.body.splitlines()[0]}"
    )
    if not TimelineEntry.objects.filter(
        incident=incident, kind=TimelineKind.COMMENT, data__comms="reply"
    ).exists():
        reply_accept(local_part=reply_address(incident).split("@")[0], message=reply.as_bytes())
        created["client reply"] += 1


def _overdue(created: Counter[str]) -> None:
    """One open P1/P2 whose client is due an update that nobody sent: the queue and the
    leadership view show "Update overdue" (as the engine leaves it; nobody is paged for it)."""
    if IncidentComms.objects.filter(overdue_since__isnull=False).exists():
        return
    now = clock.now()
    for state in IncidentComms.objects.filter(
        incident__status__in=OPEN_INCIDENT_STATUSES,
        incident__priority_rank__lte=2,
        last_update_at__isnull=True,
    ).select_related("incident__client")[:20]:
        rule = rule_for(policy_for(state.incident.client), state.incident)
        if rule.cadence is None:
            continue
        state.cadence_from = now - rule.cadence - dt.timedelta(minutes=10)
        if state.incident.opened_at > state.cadence_from:
            continue  # too young to be overdue: the engine would recompute it
        state.next_update_due_at = state.overdue_since = state.cadence_from + rule.cadence
        state.save(update_fields=["cadence_from", "next_update_due_at", "overdue_since"])
        created["overdue client update"] += 1
        return
