"""Writing communication policies, message templates and contact roles. Every save checks its
input completely (nothing half-saved) and is audited with the before and after."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.comms import messages
from watchkeeper.comms.models import (
    PORTAL_USERS,
    CommsEvent,
    CommunicationPolicy,
    ContactRole,
    ContactRoles,
    MessageKind,
    MessageTemplate,
)
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.incidents.models import Incident
from watchkeeper.policy.selectors import priority_keys
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Contact

ROLE_KEYS = (*ContactRole.values, PORTAL_USERS)
MAX_CADENCE_MINUTES = 7 * 24 * 60


def _may_change(actor: access.ActorLike, client: Client | None) -> None:
    """The MSP's defaults: MSP owners and admins who work on every client (ADR 0027). A
    client's own: whoever may edit that client (404 for a client the actor cannot see)."""
    if client is None:
        access.require_write(actor, "policy.edit", client=None)
    else:
        access.require_write(actor, "policy.view", client=client)
        access.require(actor, "client.edit", client=client)


def rules_clean(rules: Any) -> dict[str, dict[str, Any]]:
    """The rules as stored, or InvalidInput naming the first thing that is wrong."""
    if not isinstance(rules, dict):
        raise InvalidInput('Rules map a priority to its rule, e.g. {"P1": {…}}.', field="rules")
    known = priority_keys()
    clean: dict[str, dict[str, Any]] = {}
    for priority, rule in rules.items():
        where = f"rules.{priority}"
        if priority not in known:
            raise InvalidInput(
                f"Unknown priority '{priority}': the policy has {', '.join(known)}.", field=where
            )
        if not isinstance(rule, dict):
            raise InvalidInput("A rule has roles, events and cadence_minutes.", field=where)
        unknown = set(rule) - {"roles", "events", "cadence_minutes"}
        if unknown:
            raise InvalidInput(f"Unknown field(s) {', '.join(sorted(unknown))}.", field=where)
        roles, events = rule.get("roles") or [], rule.get("events") or []
        if not isinstance(roles, list) or any(r not in ROLE_KEYS for r in roles):
            raise InvalidInput(f"Roles are some of {', '.join(ROLE_KEYS)}.", field=f"{where}.roles")
        if not isinstance(events, list) or any(e not in CommsEvent.values for e in events):
            raise InvalidInput(f"Events are some of {', '.join(CommsEvent.values)}.", field=f"{where}.events")
        cadence = rule.get("cadence_minutes")
        if cadence is not None and (
            isinstance(cadence, bool)
            or not isinstance(cadence, int)
            or not 5 <= cadence <= MAX_CADENCE_MINUTES
        ):
            raise InvalidInput(
                "The cadence is a number of minutes from 5 to 10080 (a week), or empty to follow the SLA.",
                field=f"{where}.cadence_minutes",
            )
        clean[priority] = {
            "roles": sorted(set(roles)),
            "events": sorted(set(events)),
            "cadence_minutes": cadence,
        }
    return clean


def _fields_clean(fields: dict[str, Any]) -> dict[str, Any]:
    if "rules" in fields:
        fields["rules"] = rules_clean(fields["rules"])
    if "remind_before_minutes" in fields:
        minutes = fields["remind_before_minutes"]
        if not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
            raise InvalidInput(
                "Remind from 1 to 1440 minutes before an update is due.", field="remind_before_minutes"
            )
    if "from_name" in fields:
        fields["from_name"] = " ".join(str(fields["from_name"]).split())[:100]
    if fields.get("reply_to"):
        try:
            validate_email(fields["reply_to"])
        except ValidationError as exc:
            raise InvalidInput(f"'{fields['reply_to']}' is not an e-mail address.", field="reply_to") from exc
    return fields


def policy_save(
    *,
    actor: access.ActorLike,
    client: Client | None,
    policy: CommunicationPolicy | None = None,
    **fields: Any,
) -> CommunicationPolicy:
    """Create (`policy` None) or change a policy. The MSP default (client None) needs someone who
    works on every client (ADR 0027); a client's policy, someone who may edit that client."""
    target_client = policy.client if policy is not None else client
    _may_change(actor, target_client)
    fields = _fields_clean(dict(fields))
    with transaction.atomic():
        before = snapshot(policy) if policy is not None else None
        row = policy or CommunicationPolicy(client=target_client)
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = clock.now()
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            who = target_client.name if target_client else "the MSP"
            raise Conflict(f"{who} already has a communication policy: change that one.") from exc
        audit_record(
            actor=actor, action="comms_policy.update" if before else "comms_policy.create", obj=row,
            client_id=row.client_id, before=before, after=snapshot(row),
        )  # fmt: skip
    return row


def policy_delete(*, actor: access.ActorLike, policy: CommunicationPolicy) -> None:
    _may_change(actor, policy.client)
    with transaction.atomic():
        audit_record(actor=actor, action="comms_policy.delete", obj=policy, client_id=policy.client_id,
                     before=snapshot(policy))  # fmt: skip
        policy.delete()


def template_check(*, subject: str, body: str, incident: Incident | None = None) -> messages.Rendered:
    """Render the template with `incident` (or a sample) and return it; InvalidInput with the
    failing line when it does not render."""
    if not subject.strip():
        raise InvalidInput("A template needs a subject.", field="subject")
    if not body.strip():
        raise InvalidInput("A template needs a body.", field="body")
    if len(body) > 20_000 or len(subject) > 300:
        raise InvalidInput("A body is at most 20,000 characters, a subject 300.", field="body")
    context = messages.sample_context() if incident is None else messages.context_for(
        incident=incident, msp_name="Your MSP", text="The update's text.", impact="What is happening.",
        action="What is being done.", eta=clock.now(), next_update_by=clock.now(),
    )  # fmt: skip
    return messages.render(subject=subject, body=body, context=context)


def template_save(
    *,
    actor: access.ActorLike,
    client: Client | None,
    kind: str,
    subject: str,
    body: str,
    template: MessageTemplate | None = None,
) -> MessageTemplate:
    """Create or change a template; refused with its failing line if it does not render."""
    target_client = template.client if template is not None else client
    _may_change(actor, target_client)
    if kind not in MessageKind.values:
        raise InvalidInput(f"The kind is one of {', '.join(MessageKind.values)}.", field="kind")
    template_check(subject=subject, body=body)
    with transaction.atomic():
        before = snapshot(template) if template is not None else None
        row = template or MessageTemplate(client=target_client)
        row.kind, row.subject, row.body, row.updated_at = kind, subject.strip(), body, clock.now()
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            raise Conflict(f"There already is a '{kind}' template for {target_client or 'the MSP'}.") from exc
        audit_record(
            actor=actor, action="message_template.update" if before else "message_template.create", obj=row,
            client_id=row.client_id, before=before, after=snapshot(row),
        )  # fmt: skip
    return row


def template_delete(*, actor: access.ActorLike, template: MessageTemplate) -> None:
    _may_change(actor, template.client)
    with transaction.atomic():
        audit_record(actor=actor, action="message_template.delete", obj=template,
                     client_id=template.client_id, before=snapshot(template))  # fmt: skip
        template.delete()


def contact_roles_set(*, actor: access.ActorLike, contact: Contact, roles: list[str]) -> ContactRoles:
    access.require(actor, "contacts.manage", client=contact.client)
    bad = [role for role in roles if role not in ContactRole.values]
    if bad:
        raise InvalidInput(f"Unknown role(s) {', '.join(bad)}: roles are {', '.join(ContactRole.values)}.",
                           field="roles")  # fmt: skip
    with transaction.atomic():
        row, _ = ContactRoles.objects.select_for_update().get_or_create(contact=contact)
        before = {"roles": list(row.roles)}
        row.roles, row.updated_at = sorted(set(roles)), clock.now()
        row.save(update_fields=["roles", "updated_at"])
        audit_record(actor=actor, action="contact_roles.update", obj=contact, client_id=contact.client_id,
                     before=before, after={"roles": row.roles})  # fmt: skip
    return row
