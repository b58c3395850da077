"""The one place reviews tell MSP staff something: reminders and overdue escalations, through each
person's own notification rules (paging's outbox), once per (dedup key, person)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import User
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.services.notify import notification_send
from watchkeeper.reviews.models import ReviewNotice
from watchkeeper.tenancy import access


def managers_of(incident: Incident) -> list[User]:
    return list(access.managers_for(incident.client))


def people(*groups: Iterable[User | None]) -> list[User]:
    """Active people of `groups`, each once, in order."""
    found: list[User] = []
    for group in groups:
        for user in group:
            if user is not None and user.is_active and user not in found:
                found.append(user)
    return found


def review_notify(
    *, users: Iterable[User], incident: Incident, dedup_key: str, subject: str, text: str
) -> int:
    """Notify each of `users` once for `dedup_key`; returns how many were new. Caller is inside
    the timer's transaction; the messages go out from the outbox after commit."""
    sent = 0
    for user in users:
        try:
            with transaction.atomic():
                ReviewNotice.objects.create(dedup_key=dedup_key[:200], user=user)
        except IntegrityError:
            continue
        notification_send(
            user=user, subject=subject[:250], text=text, incident=incident, dedup_key=dedup_key, urgency="low"
        )
        sent += 1
    return sent
