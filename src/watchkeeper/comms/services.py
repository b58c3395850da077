"""Writes: composing a client update, the notices an incident's events ask for, the cadence.

Every message is a `ClientUpdate` with one `UpdateDelivery` row per recipient, written in the
transaction of its cause; the engine delivers them (`comms.delivery`). The incident's
communication state (`IncidentComms`) is changed under its row lock, and the cadence's next due
time is written as two engine timers (remind, overdue) in the same transaction: nothing
time-driven lives in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.branding.selectors import brand_current
from watchkeeper.comms import messages, timers
from watchkeeper.comms.models import (
    EVENT_MESSAGE,
    ClientUpdate,
    CommsEvent,
    IncidentComms,
    MessageKind,
    UpdateDelivery,
)
from watchkeeper.comms.selectors import Recipient, Rule, policy_for, recipients_for, rule_for
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.timers import timer_cancel, timer_set
from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from watchkeeper.incidents.services import incident_update
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By

log = logging.getLogger("watchkeeper.comms")

# Events older than this when the engine first sees them are not announced: catching up after
# a long outage (or installing comms on a busy database) must not mail stale news.
STALE_AFTER = dt.timedelta(hours=1)
RESTART = "restart"  # not a message: the cadence counts from this entry (reopened, resumed)
MAX_TEXT = 10_000

_wake_hooks: list[Callable[[], None]] = []


def delivery_wake_hook_add(hook: Callable[[], None]) -> None:
    """The engine's wake-up, called after a commit that queued deliveries."""
    if hook not in _wake_hooks:
        _wake_hooks.append(hook)


def _wake() -> None:
    for hook in _wake_hooks:
        hook()


def message_id_new() -> str:
    return f"<{secrets.token_hex(12)}@{settings.INBOUND_EMAIL_DOMAIN or 'watchkeeper.invalid'}>"


def _state_locked(incident: Incident) -> IncidentComms:
    """The incident's communication state, created on first use. Caller holds the incident lock.
    An incident first seen long after it opened (comms installed on a busy database, the engine
    back from a long outage) starts its cadence now: not overdue at once, nobody told at once."""
    now = clock.now()
    state, _ = IncidentComms.objects.select_for_update().get_or_create(
        incident=incident,
        defaults={"thread_id": f"<incident-{incident.pk}.{secrets.token_hex(6)}@"
                                f"{settings.INBOUND_EMAIL_DOMAIN or 'watchkeeper.invalid'}>",
                  "cadence_from": now if incident.opened_at < now - STALE_AFTER else None},
    )  # fmt: skip
    return state


def _queue(
    *,
    incident: Incident,
    kind: str,
    cause: str,
    recipients: list[Recipient],
    context: dict[str, Any],
    entry: TimelineEntry | None = None,
    by: User | None = None,
) -> ClientUpdate | None:
    """Render the client's template of `kind` and queue one delivery per recipient. None when
    this cause was queued before (a reconcile that runs again queues nothing twice)."""
    if ClientUpdate.objects.filter(incident=incident, cause=cause).exists():
        return None
    subject, body = messages.template_for(client=incident.client, kind=kind)
    try:
        rendered = messages.render(subject=subject, body=body, context=context)
    except InvalidInput as exc:
        # Checked when saved against a sample; a real incident can still trip it. The client is
        # told anyway, in the built-in words, and the log says which template failed.
        log.warning("the %s template of %s failed (%s); sending the built-in one", kind, incident.client, exc)
        default_subject, default_body = messages.DEFAULTS[kind]
        rendered = messages.render(subject=default_subject, body=default_body, context=context)
    update = ClientUpdate.objects.create(
        incident=incident, kind=kind, cause=cause, subject=rendered.subject, body=rendered.body,
        entry=entry, created_by=by,
    )  # fmt: skip
    UpdateDelivery.objects.bulk_create(
        UpdateDelivery(update=update, client_id=incident.client_id, name=r.name[:150], address=r.address,
                       message_id=message_id_new())
        for r in recipients
    )  # fmt: skip
    if recipients:
        transaction.on_commit(_wake)
    return update


def _context(incident: Incident, state: IncidentComms, **extra: Any) -> dict[str, Any]:
    return messages.context_for(
        incident=incident, msp_name=brand_current().name, eta=state.eta, next_update_by=state.next_update_by,
        **extra,
    )  # fmt: skip


def update_preview(*, incident: Incident, actor: access.ActorLike) -> list[Recipient]:
    """Who an update of this incident goes to now, under its policy."""
    access.require(actor, "incidents.respond", client=incident.client)
    rule = rule_for(policy_for(incident.client), incident)
    return recipients_for(client=incident.client, roles=rule.roles)


def _times_check(eta: dt.datetime | None, next_update_by: dt.datetime | None, now: dt.datetime) -> None:
    for name, value in (("eta", eta), ("next_update_by", next_update_by)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("Give the time with its zone (or as UTC).", field=name)
        if value is not None and not now - dt.timedelta(minutes=5) <= value <= now + dt.timedelta(days=60):
            raise InvalidInput("The time is in the future, within 60 days.", field=name)


def update_send(
    *,
    incident: Incident,
    by: access.ActorLike,
    text: str,
    impact: str = "",
    action: str = "",
    eta: dt.datetime | None = None,
    next_update_by: dt.datetime | None = None,
) -> ClientUpdate:
    """A client-visible update written once: the timeline entry (which restarts the SLA's
    client-update clock), an e-mail to each recipient the policy names, and the next update's
    due time (the promise `next_update_by`, or the cadence). All in one transaction."""
    access.require(by, "incidents.respond", client=incident.client)
    text, impact, action = text.strip(), impact.strip(), action.strip()
    if not text:
        raise InvalidInput("An update needs some text: what the client should know.", field="text")
    if max(len(text), len(impact), len(action)) > MAX_TEXT:
        raise InvalidInput(f"Each field is at most {MAX_TEXT:,} characters.", field="text")
    now = clock.now()
    _times_check(eta, next_update_by, now)
    user = access.as_actor(by).user
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        if not incident.is_open:
            raise InvalidInput("The incident is not open: reopen it to send an update.", field="text")
        state = _state_locked(incident)
        state.eta, state.next_update_by = eta, next_update_by
        rule = rule_for(policy_for(incident.client), incident)
        recipients = recipients_for(client=incident.client, roles=rule.roles)
        entry = change.record(
            kind=TimelineKind.NOTE, text=text, client_visible=True,
            data={"client_update": True, "impact": impact, "action": action, "recipients": len(recipients),
                  "eta": eta.isoformat() if eta else None,
                  "next_update_by": next_update_by.isoformat() if next_update_by else None},
        )  # fmt: skip
        context = _context(incident, state, text=text, impact=impact, action=action)
        update = _queue(incident=incident, kind=MessageKind.UPDATE, cause=f"entry:{entry.pk}",
                        recipients=recipients, context=context, entry=entry, by=user)  # fmt: skip
        if update is None:  # a new entry is a new cause: never
            raise RuntimeError(f"client update for entry {entry.pk} queued twice")
        state.last_update_at = entry.at
        state.seen_entry_id = max(state.seen_entry_id, entry.pk)
        _schedule(state, incident, rule, now)
        state.save()
    return update


def _event_of(entry: TimelineEntry) -> tuple[str, str] | None:
    """The communication event a timeline entry is, with its text for the message; None if
    it is none (an internal note, an alert, a message comms itself recorded)."""
    data = entry.data if isinstance(entry.data, dict) else {}
    if data.get("comms") or data.get("client_update"):
        return None
    if entry.kind == TimelineKind.OPENED:
        return CommsEvent.OPENED, ""
    if entry.kind == TimelineKind.STATUS and data.get("status") == IncidentStatus.WAITING_CLIENT:
        return CommsEvent.WAITING, entry.text if entry.client_visible else ""
    if entry.kind == TimelineKind.STATUS and data.get("status") == IncidentStatus.RESOLVED:
        return CommsEvent.RESOLVED, ""
    if entry.kind == TimelineKind.NOTE and entry.client_visible:
        return CommsEvent.UPDATE, entry.text
    if entry.kind == TimelineKind.STATUS and (
        data.get("status") == IncidentStatus.TRIGGERED or entry.text.startswith("Resumed")
    ):
        return RESTART, ""  # reopened, or no longer waiting: the cadence starts from now
    return None


def comms_incident_reconcile(*, incident_id: int, now: dt.datetime | None = None) -> int:
    """Announce the incident's new events its policy asks for, and keep its cadence timers
    right. Idempotent: entries are read after the last one seen, and each message is unique
    per (incident, cause). Returns how many messages were queued."""
    now = now or clock.now()
    incident = Incident.objects.filter(pk=incident_id).select_related("client", "service").first()
    if incident is None:
        return 0
    queued = 0
    with incident_update(incident=incident, by="Watchkeeper") as change:
        incident = change.incident
        state = _state_locked(incident)
        rule = rule_for(policy_for(incident.client), incident)
        entries = list(
            TimelineEntry.objects.filter(incident=incident, pk__gt=state.seen_entry_id).order_by("pk")
        )
        for entry in entries:
            state.seen_entry_id = entry.pk
            event = _event_of(entry)
            if event is None:
                continue
            if event[0] == CommsEvent.UPDATE:
                state.last_update_at = entry.at
            elif event[0] == RESTART:
                state.cadence_from = entry.at
                continue
            if event[0] not in rule.events or entry.at < now - STALE_AFTER:
                continue
            update = _queue(
                incident=incident, kind=EVENT_MESSAGE[CommsEvent(event[0])], cause=f"entry:{entry.pk}",
                recipients=recipients_for(client=incident.client, roles=rule.roles),
                context=_context(incident, state, text=event[1]), entry=entry,
            )  # fmt: skip
            if update is not None:
                queued += 1
                _notice_record(change, update)
        _schedule(state, incident, rule, now)
        state.save()
    return queued


def _notice_record(change: Any, update: ClientUpdate) -> None:
    """An internal timeline entry for a message comms sent on its own (initial, resolved …):
    what went to whom, for the team (and for the chat app: data `comms` = "notice")."""
    count = update.deliveries.count()
    label = MessageKind(update.kind).label.lower()
    text = (
        f"The {label} was e-mailed to {count} client recipient{'s' if count != 1 else ''}"
        if count
        else (f"No client contact receives the {label}: nobody was e-mailed")
    )
    change.record(
        kind=TimelineKind.NOTE,
        text=text,
        data={"comms": "notice", "client_update": update.pk, "kind": update.kind, "recipients": count},
    )


def _due(state: IncidentComms, incident: Incident, rule: Rule) -> dt.datetime | None:
    """When the next client update is due: the cadence after the last update (or the opening),
    or earlier when the technician promised a time. None: closed, waiting on the client, or
    no cadence."""
    if not incident.is_open or incident.status == IncidentStatus.WAITING_CLIENT or rule.cadence is None:
        return None
    anchor = max(t for t in (state.last_update_at, state.cadence_from, incident.opened_at) if t is not None)
    due = anchor + rule.cadence
    if state.next_update_by is not None and anchor < state.next_update_by < due:
        due = state.next_update_by
    return due


def _schedule(state: IncidentComms, incident: Incident, rule: Rule, now: dt.datetime) -> None:
    """Set the next due time and its two timers when it changed (caller saves `state`)."""
    due = _due(state, incident, rule)
    if due == state.next_update_due_at:
        return
    state.next_update_due_at, state.overdue_since, state.reminded_for = due, None, None
    key = str(incident.pk)
    if due is None:
        timer_cancel(kind=timers.REMIND, key=key)
        timer_cancel(kind=timers.OVERDUE, key=key)
        return
    policy = policy_for(incident.client)
    lead = dt.timedelta(minutes=policy.remind_before_minutes if policy else 5)
    payload = {"due": due.isoformat()}
    timer_set(kind=timers.REMIND, key=key, due_at=max(now, due - lead), payload=payload)
    timer_set(kind=timers.OVERDUE, key=key, due_at=due, payload=payload)


def review_summary_send(
    *, incident: Incident, by: By, text: str, cause: str = "review"
) -> ClientUpdate | None:
    """The post-incident summary, for the reviews app to call when a review is published: sent
    with the client's `summary` template to the recipients of its policy when the policy's events
    include "review". Once per (incident, `cause`); None when not sent."""
    if not text.strip():
        raise InvalidInput("A summary needs some text.", field="text")
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        rule = rule_for(policy_for(incident.client), incident)
        if CommsEvent.REVIEW not in rule.events:
            return None
        state = _state_locked(incident)
        update = _queue(
            incident=incident, kind=MessageKind.SUMMARY, cause=cause[:100],
            recipients=recipients_for(client=incident.client, roles=rule.roles),
            context=_context(incident, state, text=text.strip()), by=access.user_of(by),
        )  # fmt: skip
        if update is not None:
            _notice_record(change, update)
        return update
