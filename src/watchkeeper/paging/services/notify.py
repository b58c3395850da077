"""Turning "page this person" into outbox rows, following their notification rules.

Every function here runs inside its caller's transaction and only writes rows; the engine
delivers them (DESIGN.md section 4.4). Idempotent: each row's dedup key is unique, so a
repeated call adds nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import RateLimited
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.models import (
    ContactMethod,
    MessagePurpose,
    MessageState,
    NotificationRule,
    OutboxMessage,
    Urgency,
)

# "Send test": each is a send to a URL somebody typed, so a person may ask for few of them.
TESTS_PER_WINDOW = 5
TESTS_WINDOW = dt.timedelta(minutes=10)

# Called after commit when a message became due, so an idle engine sends at once.
_wake_hooks: list[Callable[[], None]] = []


def outbox_wake_hook_add(hook: Callable[[], None]) -> None:
    if hook not in _wake_hooks:
        _wake_hooks.append(hook)


def _wake() -> None:
    for hook in _wake_hooks:
        hook()


def _rules(user: User, urgency: str) -> list[NotificationRule]:
    rules = NotificationRule.objects.filter(user=user, urgency=urgency, contact_method__is_enabled=True)
    return list(rules.select_related("contact_method").order_by("delay_minutes", "id"))


def _enqueue(rows: list[OutboxMessage]) -> int:
    """Insert the rows whose dedup key is new; returns how many were new."""
    if not rows:
        return 0
    keys = [row.dedup_key for row in rows]
    existing = set(OutboxMessage.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    fresh = [row for row in rows if row.dedup_key not in existing]
    # ignore_conflicts: a concurrent enqueue of the same key (another engine) wins quietly.
    OutboxMessage.objects.bulk_create(fresh, ignore_conflicts=True)
    now = clock.now()
    if any(row.due_at <= now + dt.timedelta(seconds=1) for row in fresh):
        transaction.on_commit(_wake)
    return len(fresh)


def messages_for_rules(
    *,
    user: User,
    cause: str,
    purpose: str,
    urgency: str,
    subject: str,
    text: str,
    incident: Incident | None,
    start: dt.datetime,
) -> list[OutboxMessage]:
    """One row per notification rule, due `delay` after `start`. A user without rules for this
    urgency gets one e-mail to their account address: a page is never silently dropped."""
    common = {
        "cause": cause, "purpose": purpose, "user": user, "incident": incident, "urgency": urgency,
        "subject": subject[:255], "text": text, "created_at": clock.now(),
    }  # fmt: skip
    rules = _rules(user, urgency)
    if not rules:
        return [
            OutboxMessage(
                dedup_key=f"{cause}:account-email"[:255], contact_method=None, due_at=start, **common
            )
        ]
    return [
        OutboxMessage(
            dedup_key=f"{cause}:rule{rule.pk}:cm{rule.contact_method_id}"[:255],
            contact_method=rule.contact_method,
            due_at=start + dt.timedelta(minutes=rule.delay_minutes),
            **common,
        )
        for rule in rules
    ]


def page_user(*, incident: Incident, user: User, cause: str, subject: str, text: str) -> int:
    """Page `user` about `incident`. `cause` names the escalation cycle and level; with the rule
    and contact method in each row's key, a page is sent once per (incident, cycle, level, rule,
    contact method). Returns how many rows were new."""
    urgency = Urgency.HIGH if incident.urgency == "high" or incident.priority in {"P1", "P2"} else Urgency.LOW
    rows = messages_for_rules(
        user=user, cause=cause, purpose=MessagePurpose.PAGE, urgency=urgency, subject=subject,
        text=text, incident=incident, start=clock.now(),
    )  # fmt: skip
    return _enqueue(rows)


def notification_send(
    *,
    user: User,
    subject: str,
    text: str,
    incident: Incident | None = None,
    dedup_key: str,
    urgency: str = "high",
) -> None:
    """Send `user` a notification (not a page: no escalation, no response links) through their
    notification rules for `urgency`. Idempotent by `dedup_key`."""
    if urgency not in Urgency.values:
        raise ValueError(f"urgency must be one of {Urgency.values}, not {urgency!r}")
    with transaction.atomic():
        rows = messages_for_rules(
            user=user, cause=f"notify:u{user.pk}:{dedup_key}"[:200], purpose=MessagePurpose.NOTIFICATION,
            urgency=urgency, subject=subject, text=text, incident=incident, start=clock.now(),
        )  # fmt: skip
        _enqueue(rows)


def _tests_check(by: User, now: dt.datetime) -> None:
    """Refuse a test beyond TESTS_PER_WINDOW by `by` in TESTS_WINDOW: each one is a send the
    engine makes to a URL a person typed. Caller holds `by`'s row lock (two at once count)."""
    recent = OutboxMessage.objects.filter(
        purpose=MessagePurpose.TEST, dedup_key__startswith=f"test:u{by.pk}:",
        created_at__gt=now - TESTS_WINDOW,
    ).order_by("created_at")  # fmt: skip
    times = list(recent.values_list("created_at", flat=True)[:TESTS_PER_WINDOW])
    if len(times) >= TESTS_PER_WINDOW:
        wait = math.ceil((times[0] + TESTS_WINDOW - now).total_seconds())
        minutes = int(TESTS_WINDOW.total_seconds() // 60)
        raise RateLimited(
            f"At most {TESTS_PER_WINDOW} test messages in {minutes} minutes: try again in {wait} seconds.",
            retry_after=wait,
        )


def test_message_send(*, method: ContactMethod, by: User) -> OutboxMessage:
    """Queue a test message to one contact method ("send test"), at most TESTS_PER_WINDOW per
    person in TESTS_WINDOW (RateLimited beyond)."""
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=by.pk).first()
        _tests_check(by, now)
        return _test_message_create(method=method, by=by, now=now)


def _test_message_create(*, method: ContactMethod, by: User, now: dt.datetime) -> OutboxMessage:
    row = OutboxMessage.objects.create(
        dedup_key=f"test:u{by.pk}:cm{method.pk}:{now.timestamp():.6f}:{secrets.token_hex(4)}",
        cause=f"test:cm{method.pk}",
        purpose=MessagePurpose.TEST, user=method.user, contact_method=method, urgency=Urgency.LOW,
        subject="Watchkeeper test message",
        text=f"This is a test of your contact method '{method.label}', sent at {by.email}'s request.",
        created_at=now, due_at=now,
    )  # fmt: skip
    transaction.on_commit(_wake)
    return row


def pages_cancel(*, incident: Incident) -> int:
    """Drop the incident's pages not yet sent (later rule steps). Caller holds the incident lock."""
    pending = OutboxMessage.objects.filter(
        incident=incident, purpose=MessagePurpose.PAGE, state=MessageState.PENDING
    )
    return pending.update(state=MessageState.CANCELLED, provider_response="cancelled: incident answered")


def fallback_enqueue(*, message: OutboxMessage) -> OutboxMessage | None:
    """After `message` failed for good, page the next contact method of the user's rules that
    this cause has not tried yet; None when every method was tried."""
    rows = OutboxMessage.objects.filter(cause=message.cause)
    tried = {
        cm for cm, state in rows.values_list("contact_method_id", "state") if state != MessageState.PENDING
    }
    for rule in _rules(message.user, message.urgency):
        if rule.contact_method_id in tried:
            continue
        # A later rule step of this page is waiting for this method: send it now instead.
        if rows.filter(contact_method_id=rule.contact_method_id, state=MessageState.PENDING).update(
            due_at=clock.now()
        ):
            transaction.on_commit(_wake)
            return rows.filter(contact_method_id=rule.contact_method_id).first()
        row = OutboxMessage(
            dedup_key=f"{message.cause}:fallback:cm{rule.contact_method_id}"[:255], cause=message.cause,
            purpose=message.purpose, user=message.user, contact_method=rule.contact_method,
            incident=message.incident, urgency=message.urgency, subject=message.subject, text=message.text,
            due_at=clock.now(), created_at=clock.now(),
        )  # fmt: skip
        return row if _enqueue([row]) else None
    return None


def base_url() -> str:
    return str(getattr(settings, "PUBLIC_BASE_URL", "http://localhost:8000")).rstrip("/")
