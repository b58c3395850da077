"""Who hears about SLA warnings and breaches, and the one place that delivers.

Warnings go to the incident's owner; the last threshold and breaches also go to the managers who
can see the client (the access module decides), and to the managers alone when nobody owns the
incident. Each (dedup key, person) is sent once: a handler that runs again sends nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import User
from watchkeeper.core.humanize import duration_text, times_fill
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.services.notify import notification_send
from watchkeeper.sla.models import SlaNotice
from watchkeeper.tenancy import access


def duration(delta: dt.timedelta) -> str:
    return duration_text(delta)


def managers_of(incident: Incident) -> list[User]:
    return list(access.managers_for(incident.client))


def recipients(incident: Incident, level: str) -> list[User]:
    people: list[User] = [incident.owner] if incident.owner is not None and incident.owner.is_active else []
    if level in ("manager", "breach") or not people:
        people += [m for m in managers_of(incident) if m not in people]
    return people


def sla_notify(
    *,
    incident: Incident,
    kind: str,
    cycle: int,
    level: str,
    text: str,
    percent: int | None = None,
    times: Mapping[str, str] | None = None,
) -> int:
    """Notify for a warning (`percent`) or a breach; returns how many new notices were sent.
    `text`'s `{slots}` are filled from `times` in each recipient's own zone.
    Caller is inside the reconcile transaction; mail goes out after commit."""
    threshold = "breach" if percent is None else str(percent)
    dedup_key = f"sla:{incident.pk}:{kind}:{cycle}:{threshold}"
    template = text
    sent = 0
    for user in recipients(incident, level):
        text = times_fill(template, times, user.zone)
        subject = f"[{incident.reference}] {text}"[:300]
        try:
            with transaction.atomic():
                SlaNotice.objects.create(dedup_key=dedup_key, user=user, incident=incident, subject=subject)
        except IntegrityError:
            continue  # already sent to this person
        body = f"{text}\n\n{incident.reference}: {incident.title}\nClient: {incident.client.name}\n"
        _deliver(
            user=user,
            subject=subject,
            text=body,
            incident=incident,
            dedup_key=dedup_key,
            urgency="high" if level == "breach" else "low",
        )
        sent += 1
    return sent


def _deliver(
    *, user: User, subject: str, text: str, incident: Incident, dedup_key: str, urgency: str
) -> None:
    """THE delivery point: paging's outbox, in the caller's transaction, so a warning or breach
    notice is durable and sent once (idempotent by `dedup_key`), by the person's own rules."""
    notification_send(
        user=user, subject=subject, text=text, incident=incident, dedup_key=dedup_key, urgency=urgency
    )
