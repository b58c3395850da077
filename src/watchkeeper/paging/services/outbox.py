"""Delivering one claimed outbox message: throttle and bundle, send, record the answer, retry
with backoff or fall back to the user's next contact method.

The engine (`engine/outbox.py`) claims messages under a lease (state `sending`), prepares each
in its own thread (`message_prepare`: database), sends them on its delivery threads
(`message_send`: network only) and records each answer (`message_record`), or a timeout's
(`message_timed_out`) when a send outlives the deadline. Everything here is fenced on the lease,
so a message whose lease was taken over by another engine is left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, Q

from watchkeeper.core import clock
from watchkeeper.incidents.services import timeline_add
from watchkeeper.mail.selectors import MailSetup, mail_setup_current
from watchkeeper.paging.delivery import Delivery, Outgoing, send
from watchkeeper.paging.models import ContactKind, ContactMethod, MessagePurpose, MessageState, OutboxMessage
from watchkeeper.paging.services.escalation import PAGE_KIND
from watchkeeper.paging.services.notify import fallback_enqueue
from watchkeeper.paging.services.responses import links_for

MAX_ATTEMPTS = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(600, 15 * 2**attempts))


def _mine(message: OutboxMessage, owner: str) -> Q:
    return Q(pk=message.pk, state=MessageState.SENDING, lease_owner=owner)


def _throttle_hold(message: OutboxMessage, method: ContactMethod, now: dt.datetime, owner: str) -> bool:
    """Hold the message back when its method used up its throttle; True when held. Caller
    holds the contact method's row lock, so two engines count the same sends. Sends under way
    count (state sending with `sent_at` set by `message_prepare`): a batch is sent concurrently."""
    window = OutboxMessage.objects.filter(
        contact_method=method, state__in=[MessageState.SENT, MessageState.SENDING],
        sent_at__gt=now - THROTTLE_WINDOW,
    ).exclude(pk=message.pk)  # fmt: skip
    if window.count() < method.throttle_per_15_minutes:
        return False
    oldest = window.aggregate(oldest=Min("sent_at"))["oldest"] or now
    OutboxMessage.objects.filter(_mine(message, owner)).update(
        state=MessageState.PENDING, throttled=True, due_at=oldest + THROTTLE_WINDOW, lease_until=None,
        provider_response=f"throttled: {method.throttle_per_15_minutes} per 15 minutes",
    )  # fmt: skip
    return True


def _bundle(message: OutboxMessage, method: ContactMethod, now: dt.datetime) -> tuple[str, str]:
    """Fold the method's held-back messages into this one; returns its subject and text."""
    held = OutboxMessage.objects.filter(contact_method=method, throttled=True, due_at__lte=now).exclude(
        pk=message.pk
    )
    held = held.filter(state__in=[MessageState.PENDING, MessageState.SENDING]).order_by("created_at", "id")
    # SKIP LOCKED: a held message another engine is delivering right now is left to it (and
    # waiting for its lock while holding the method's could deadlock).
    skip = transaction.get_connection().vendor == "postgresql"
    others = list(held.select_for_update(skip_locked=skip))
    if not others:
        return message.subject, message.text
    OutboxMessage.objects.filter(pk__in=[o.pk for o in others]).update(
        state=MessageState.BUNDLED, bundled_into=message, lease_until=None
    )
    lines = [message.text, "", f"Also, {len(others)} more held back by the throttle:"]
    lines += [f"- {other.subject}" for other in others]
    subject, text = f"{message.subject} (+{len(others)} more)"[:255], "\n".join(lines)
    # Stored, so that a retry after a failed send still carries the bundle.
    OutboxMessage.objects.filter(pk=message.pk).update(subject=subject, text=text)
    return subject, text


def _outgoing(message: OutboxMessage, subject: str, text: str) -> tuple[Outgoing, bool]:
    """The message as sent, with fresh response links for pages; and whether it is e-mail."""
    method = message.contact_method
    is_email = method is None or method.kind == ContactKind.EMAIL
    to = message.user.email if method is None else method.address
    reply_to = ""
    if message.purpose == MessagePurpose.PAGE and message.incident is not None:
        links, reply_to = links_for(incident=message.incident, user=message.user)
        text += "\n" + links
    return Outgoing(to=to, subject=subject, text=text, reply_to=reply_to if is_email else ""), is_email


def _record(message: OutboxMessage, result: Delivery, owner: str) -> None:
    now = clock.now()
    attempts = message.attempts
    if result.ok:
        fields = {"state": MessageState.SENT, "sent_at": now}
    elif result.permanent or attempts >= MAX_ATTEMPTS:
        fields = {"state": MessageState.FAILED, "sent_at": None}
    else:
        fields = {"state": MessageState.PENDING, "due_at": now + _backoff(attempts), "sent_at": None}
    updated = OutboxMessage.objects.filter(_mine(message, owner)).update(
        lease_until=None, provider_response=result.response[:2000], **fields
    )
    if not updated or fields["state"] == MessageState.PENDING:
        return
    method = str(message.contact_method or f"account e-mail {message.user.email}")
    if message.incident is not None:
        verdict = "sent" if result.ok else "failed"
        who = message.user.full_name or message.user.email
        timeline_add(
            incident=message.incident, kind=PAGE_KIND,
            text=f"{message.get_purpose_display()} to {who} by {method}: {verdict} ({result.response[:200]})",
            data={"message": message.pk, "state": fields["state"], "response": result.response[:500]},
        )  # fmt: skip
    if not result.ok and message.purpose != MessagePurpose.TEST:
        fallback_enqueue(message=message)


@dataclass(frozen=True)
class Job:
    """One send, as prepared in the engine's thread: a delivery thread needs nothing else."""

    outgoing: Outgoing
    mail: MailSetup | None  # e-mail through this server; None: Apprise


def message_prepare(*, message: OutboxMessage, owner: str) -> Job | str:
    """What to send for a message this engine leased, or the state it ended in without a send
    (held by the throttle, bundled into another, its method disabled: all recorded here)."""
    now = clock.now()
    with transaction.atomic():
        current = OutboxMessage.objects.select_for_update().filter(_mine(message, owner)).first()
        if current is None:
            return MessageState.BUNDLED  # bundled into another message, or taken over
        method = message.contact_method
        if method is not None:
            method = ContactMethod.objects.select_for_update().get(pk=method.pk)
            if not method.is_enabled:
                _record(
                    message, Delivery(ok=False, response="contact method disabled", permanent=True), owner
                )
                return MessageState.FAILED
            if method.throttle_per_15_minutes and _throttle_hold(message, method, now, owner):
                return MessageState.PENDING
        subject, text = message.subject, message.text
        if method is not None and method.throttle_per_15_minutes:
            subject, text = _bundle(message, method, now)
            # Counted by the throttle from now on, while the send is under way (`_record` ends it).
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=now)
        outgoing, is_email = _outgoing(message, subject, text)
    return Job(outgoing=outgoing, mail=mail_setup_current() if is_email else None)


def message_send(job: Job) -> Delivery:
    """The network part: no database, no lock held; never raises (`delivery.send`)."""
    return send(job.outgoing, setup=job.mail)


def message_record(*, message: OutboxMessage, result: Delivery, owner: str) -> str:
    """Record a send's answer (fenced on the lease: a message taken over is left alone)."""
    with transaction.atomic():
        _record(message, result, owner)
    return MessageState.SENT if result.ok else MessageState.FAILED


def message_timed_out(*, seconds: float) -> Delivery:
    """The answer of a send that did not end within the deadline: temporary, retried."""
    return Delivery(ok=False, response=f"no answer within {seconds:g} seconds (the delivery deadline)")


def message_crashed(*, error: Exception) -> Delivery:
    """The answer when preparing a send failed unexpectedly: permanent, so the page falls back."""
    return Delivery(ok=False, response=f"{type(error).__name__}: {error}"[:500], permanent=True)


def message_deliver(*, message: OutboxMessage, owner: str) -> str:
    """Deliver one message this engine leased, start to end in this thread. Returns the state it
    ended in. (The engine runs the same steps with the sends on its delivery threads.)"""
    job = message_prepare(message=message, owner=owner)
    if isinstance(job, str):
        return job
    # The send is outside any transaction: a crash here leaves the lease to expire and the
    # message is sent again (a rare duplicate beats a missed page).
    return message_record(message=message, result=message_send(job), owner=owner)
