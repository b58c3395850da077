"""Alerts follow their incident: when an incident is resolved or closed by a person (not by
its alerts), its open alerts are resolved too, as PagerDuty does, so the next trigger of the
same dedup key opens a new alert and a new incident and pages again.

Two ways in, one rule: the `alerts.incident` watcher (the incident changed), and the dedup step
of intake, which meets such an alert before the watcher ran (`apply.event_apply`). A merged
incident has no alerts left to resolve: the merge moved them to the incident that remains.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from watchkeeper.alerts.models import Alert, AlertStatus
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.core import clock
from watchkeeper.core.rows import row_update
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, TimelineKind
from watchkeeper.incidents.services import timeline_add


def ended_incident(alert: Alert) -> Incident | None:
    """The incident of the open `alert` when that incident has ended (resolved, closed or
    merged) while the alert is still open; None otherwise."""
    incident = alert.incident
    if alert.is_open and incident is not None and not incident.is_open:
        return incident
    return None


def alert_resolve_with_incident(*, alert: Alert, incident: Incident, now: dt.datetime) -> None:
    """Resolve the open `alert` of the ended `incident`, and say so on its timeline. Caller
    holds the alert's row lock (in the transaction of the change)."""
    alert.status, alert.resolved_at = AlertStatus.RESOLVED, now
    row_update(alert, alert.touch_fields("status", "resolved_at"))
    timeline_add(
        incident=incident, kind=TimelineKind.ALERT,
        text=f"Alert resolved with the {incident.get_status_display().lower()} incident: {alert.summary}; "
        "a new trigger of it opens a new incident",
        data={"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "resolved", "with": "incident"},
    )  # fmt: skip


def incident_alerts_resolve(*, incident_id: int) -> int:
    """The `alerts.incident` watcher: resolve the open alerts of the incident if it has ended.
    Idempotent (an open incident, or one without open alerts, changes nothing). Returns how
    many alerts it resolved."""
    with transaction.atomic():
        # The alerts first, then the incident: the order of intake, which locks an alert and
        # then its incident (acknowledge, resolve), so the two never wait on each other.
        alerts = list(
            Alert.objects.select_for_update()
            .filter(incident_id=incident_id, status__in=OPEN_STATUSES)
            .order_by("pk")
        )
        if not alerts:
            return 0
        incident = incident_lock(incident_id=incident_id)
        if incident.is_open:
            return 0  # reopened meanwhile: its alerts stay with it
        now = clock.now()
        for alert in alerts:
            alert_resolve_with_incident(alert=alert, incident=incident, now=now)
        return len(alerts)


def incidents_alerts_resolve(*, incident_ids: list[int]) -> int:
    """The `alerts.incident` watcher for a batch of incidents: one query finds those that have
    ended with alerts still open (in a storm, nearly every incident is new and open: nothing to
    do), and each of those is handled as alone, in incident order. The read takes no lock: an
    incident that ends after it set its timer again when it did, so that timer's fenced
    completion fails and it runs again."""
    ended = (
        Alert.objects.filter(incident_id__in=incident_ids, status__in=OPEN_STATUSES)
        .exclude(incident__status__in=OPEN_INCIDENT_STATUSES)
        .order_by()
        .values_list("incident_id", flat=True)
        .distinct()
    )
    return sum(incident_alerts_resolve(incident_id=incident_id) for incident_id in sorted(set(ended)))
