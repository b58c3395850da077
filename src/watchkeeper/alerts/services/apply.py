"""Apply one normalised event: rules, dedup, alert state, and the incident it belongs to.

Caller holds a transaction (the inbox row's); everything here commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, AlertStatus, Integration
from watchkeeper.alerts.models.alerts import OPEN_STATUSES, RAW_PAYLOAD_LIMIT
from watchkeeper.alerts.rules import Decision, rules_decide
from watchkeeper.core import clock
from watchkeeper.incidents import services as incidents
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, TimelineKind
from watchkeeper.policy.selectors import severity_defaults
from watchkeeper.tenancy.models import Service


def event_apply(*, integration: Integration, event: AlertEvent) -> Alert | None:
    now = clock.now()
    if event.action == "annotate":
        _annotate(integration, event)
        return None
    decision = rules_decide(integration=integration, event=event, at=now)
    if decision.drop:
        return None
    open_alert = (
        Alert.objects.select_for_update()
        .filter(integration=integration, dedup_key=event.dedup_key, status__in=OPEN_STATUSES)
        .first()
    )
    if event.action == "trigger":
        if open_alert is not None:
            return _repeat(open_alert, event, now)
        return _new_alert(integration, event, decision, now)
    if open_alert is None:
        return None  # acknowledge/resolve for a key with no open alert: accepted, no effect
    if event.action == "acknowledge":
        return _acknowledge(open_alert, integration, now)
    return _resolve(open_alert, integration, now)


def _raw(event: AlertEvent) -> dict[str, Any]:
    text = json.dumps(event.raw, default=str)
    if len(text) <= RAW_PAYLOAD_LIMIT:
        return event.raw
    return {"truncated": True, "size": len(text), "head": text[: RAW_PAYLOAD_LIMIT - 200]}


def _service(integration: Integration, event: AlertEvent, decision: Decision) -> Service:
    if decision.service is not None:
        return decision.service
    if event.service_name:
        named = Service.objects.filter(client_id=integration.client_id, name=event.service_name).first()
        if named is not None:
            return named
    return integration.default_service


def _new_alert(integration: Integration, event: AlertEvent, decision: Decision, now: dt.datetime) -> Alert:
    service = _service(integration, event, decision)
    alert = Alert.objects.create(
        client_id=integration.client_id, integration=integration, service=service,
        dedup_key=event.dedup_key, summary=event.summary[:1024] or "(no summary)", source=event.source[:255],
        severity=decision.severity or event.severity, component=event.component[:255],
        group=event.group[:255],
        alert_class=event.alert_class[:255], group_key=event.group_key[:1024], labels=event.labels,
        details=event.details, links=event.links, images=event.images, raw=_raw(event),
        impact=decision.impact, urgency=decision.urgency, category=decision.category, tags=decision.tags,
        suppressed=bool(decision.suppress_reason), suppressed_reason=decision.suppress_reason[:200],
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip
    if not alert.suppressed:
        _attach_to_incident(alert, integration, now)
    return alert


def _repeat(alert: Alert, event: AlertEvent, now: dt.datetime) -> Alert:
    alert.occurrence_count += 1
    alert.last_seen_at = now
    alert.summary = event.summary[:1024] or alert.summary
    alert.details = event.details or alert.details
    alert.raw = _raw(event)
    alert.save(
        update_fields=alert.touch_fields("occurrence_count", "last_seen_at", "summary", "details", "raw")
    )
    return alert


def _attach_to_incident(alert: Alert, integration: Integration, now: dt.datetime) -> None:
    by = f"{integration.name} ({integration.get_type_display()})"
    incident = None
    if alert.group_key and integration.group_window_minutes:
        since = now - dt.timedelta(minutes=integration.group_window_minutes)
        incident = (
            Incident.objects.select_for_update()
            .filter(
                service=alert.service,
                group_key=alert.group_key,
                status__in=OPEN_INCIDENT_STATUSES,
                opened_at__gte=since,
            )
            .order_by("-opened_at")
            .first()
        )
    if incident is None:
        impact, urgency = alert.impact, alert.urgency
        if not (impact and urgency):
            default_impact, default_urgency = severity_defaults(alert.severity)
            impact, urgency = impact or default_impact, urgency or default_urgency
        incident = incidents.incident_open(
            client=alert.service.client, service=alert.service, title=alert.summary, impact=impact,
            urgency=urgency, category=alert.category, group_key=alert.group_key, by=by,
            data={"alert": alert.pk, "severity": alert.severity},
        )  # fmt: skip
    alert.incident = incident
    alert.save(update_fields=alert.touch_fields("incident"))
    incidents.timeline_add(
        incident=incident, kind=TimelineKind.ALERT, by=by,
        text=f"Alert {alert.severity}: {alert.summary}",
        data={"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "triggered"},
    )  # fmt: skip


def _acknowledge(alert: Alert, integration: Integration, now: dt.datetime) -> Alert:
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, now
    alert.save(update_fields=alert.touch_fields("status", "acknowledged_at"))
    if alert.incident_id is not None:
        incidents.incident_acknowledge(incident=alert.incident, by=integration.name)  # type: ignore[arg-type]
    return alert


def _resolve(alert: Alert, integration: Integration, now: dt.datetime) -> Alert:
    alert.status, alert.resolved_at = AlertStatus.RESOLVED, now
    alert.save(update_fields=alert.touch_fields("status", "resolved_at"))
    incident = alert.incident
    if incident is None:
        return alert
    incidents.timeline_add(
        incident=incident, kind=TimelineKind.ALERT, by=integration.name,
        text=f"Alert resolved: {alert.summary}",
        data={"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "resolved"},
    )  # fmt: skip
    still_open = Alert.objects.filter(incident=incident, status__in=OPEN_STATUSES).exists()
    if not still_open and alert.service.auto_resolve_incidents:
        incidents.incident_resolve(
            incident=incident, by=integration.name, note="its last open alert resolved"
        )
    return alert


def _annotate(integration: Integration, event: AlertEvent) -> None:
    """Change events: a note on the open incidents of the service; nobody is paged."""
    service = _service(integration, event, Decision())
    for incident in Incident.objects.filter(service=service, status__in=OPEN_INCIDENT_STATUSES):
        incidents.timeline_add(
            incident=incident, kind=TimelineKind.CHANGE, by=integration.name,
            text=f"Change: {event.summary}", data={"source": event.source, "links": event.links},
        )  # fmt: skip
