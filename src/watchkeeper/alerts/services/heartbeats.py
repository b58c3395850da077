"""Heartbeats: record check-ins, and raise an alert when one is later than interval + grace.

Everything is computed from stored times (the last check-in, or the integration's creation),
so an engine that was down catches up on its first run, and running twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, Integration, IntegrationType
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.services.apply import event_apply
from watchkeeper.alerts.services.intake import inbox_accept
from watchkeeper.alerts.sources.alertmanager.parse import severity_from_word
from watchkeeper.alerts.sources.heartbeat.parse import DEDUP_KEY
from watchkeeper.core import clock


def heartbeat_checkin(*, integration: Integration, payload: dict[str, Any]) -> None:
    """Record a check-in: the inbox row (which resolves a missed-check-in alert) and the time.

    The time is stored here rather than when the engine processes the row, so the overdue
    check never mistakes a check-in still waiting in the inbox for a missed one."""
    now = clock.now()
    with transaction.atomic():
        inbox_accept(integration=integration, kind="heartbeat", payload=payload)
        Integration.objects.filter(pk=integration.pk).filter(
            Q(last_event_at__isnull=True) | Q(last_event_at__lt=now)
        ).update(last_event_at=now)


def heartbeat_deadline(*, integration: Integration) -> dt.datetime:
    """When the next check-in is late: the last one (or creation) + interval + grace."""
    last = integration.last_event_at or integration.created_at
    interval = integration.heartbeat_interval_seconds + integration.heartbeat_grace_seconds
    return last + dt.timedelta(seconds=interval)


def heartbeat_check_overdue() -> int:
    """Raise one alert per missed deadline of each enabled heartbeat; returns how many opened.

    Caller holds a transaction (the engine job's)."""
    now = clock.now()
    candidates = Integration.objects.filter(
        type=IntegrationType.HEARTBEAT, is_enabled=True, client__is_active=True
    ).only("pk", "last_event_at", "created_at", "heartbeat_interval_seconds", "heartbeat_grace_seconds")
    opened = 0
    for candidate in candidates:
        if heartbeat_deadline(integration=candidate) < now:
            opened += _alert_if_missed(integration_id=candidate.pk, now=now)
    return opened


def _alert_if_missed(*, integration_id: int, now: dt.datetime) -> int:
    # Re-read under the row lock: a check-in committed meanwhile moves the deadline.
    integration = (
        Integration.objects.select_for_update(of=("self",))
        .select_related("client", "default_service")
        .get(pk=integration_id)
    )
    deadline = heartbeat_deadline(integration=integration)
    if deadline >= now:
        return 0
    # An open alert, or one raised since this deadline (perhaps resolved by hand while the job
    # is still silent), already covers this miss: never page twice for one missed deadline.
    covered = Alert.objects.filter(integration=integration, dedup_key=DEDUP_KEY).filter(
        Q(status__in=OPEN_STATUSES) | Q(first_seen_at__gte=deadline)
    )
    if covered.exists():
        return 0
    last = integration.last_event_at
    quiet = now - (last or integration.created_at)
    event = AlertEvent(
        action="trigger", dedup_key=DEDUP_KEY,
        summary=f"No check-in from {integration.name} for {duration_text(quiet)}",
        source="heartbeat", severity=severity_from_word(integration.config.get("severity"), default="error"),
        details={
            "last_check_in": last.isoformat() if last else None,
            "interval_seconds": integration.heartbeat_interval_seconds,
            "grace_seconds": integration.heartbeat_grace_seconds,
            "late_since": deadline.isoformat(),
        },
        occurred_at=deadline,
    )  # fmt: skip
    return 1 if event_apply(integration=integration, event=event) is not None else 0


def duration_text(delta: dt.timedelta) -> str:
    """A short human duration: "45 s", "7 min", "1 h 5 min", "2 d 3 h"."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{secs} s"
