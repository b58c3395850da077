"""Apply one normalised event: rules, dedup, alert state, and the incident it belongs to.

Caller holds a transaction (the inbox row's); everything here commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, AlertStatus, EventRule, Integration
from watchkeeper.alerts.models.alerts import OPEN_STATUSES, RAW_PAYLOAD_LIMIT
from watchkeeper.alerts.redact import payload_redact
from watchkeeper.alerts.rules import Decision, rules_decide
from watchkeeper.alerts.services.batch import ApplyCache
from watchkeeper.alerts.services.changes import alert_change
from watchkeeper.alerts.services.incident_end import alert_resolve_with_incident, ended_incident
from watchkeeper.core import clock
from watchkeeper.core.rows import row_insert, row_update
from watchkeeper.incidents import services as incidents
from watchkeeper.incidents.locks import incident_lock_grouped
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, TimelineKind
from watchkeeper.policy.selectors import severity_defaults
from watchkeeper.tenancy.models import Service

FLAPPING = "flapping"
FLAPPING_DEFAULTS = {"changes": 4, "minutes": 30}


def event_apply(
    *, integration: Integration, event: AlertEvent, cache: ApplyCache | None = None
) -> Alert | None:
    """Apply `event`. With `cache` (the engine's batches), reads come from the batch's cache
    where it has them and the cache follows what this event changes."""
    now = clock.now()
    cache = cache or ApplyCache()
    if event.action == "annotate":
        _annotate(integration, event, cache)
        return None
    if event.action == "update":
        return alert_change(integration=integration, event=event, cache=cache)
    # Rules shape new alerts; acknowledge/resolve always reach the alert they name, so a rule
    # can never leave an alert open by dropping its resolve.
    decision = None
    if event.action == "trigger":
        ruleset = cache.ruleset(integration.client_id)
        decision = rules_decide(integration=integration, event=event, at=now, ruleset=ruleset)
    if decision is not None and decision.drop:
        _count_drop(decision, now)
        return None
    open_alert = _open_alert(integration, event.dedup_key, cache)
    if event.action == "trigger":
        ended = ended_incident(open_alert) if open_alert is not None else None
        if open_alert is not None and ended is not None:
            # Its incident was resolved or closed by hand and the watcher that resolves its
            # alerts has not run yet: end the alert now, so this trigger is a new problem.
            alert_resolve_with_incident(alert=open_alert, incident=ended, now=now)
            cache.note_resolved(open_alert)
            open_alert = None
        if open_alert is not None:
            return _repeat(open_alert, event, now, integration)
        alert = _new_alert(integration, event, decision or Decision(), now, cache)
        cache.note_open(alert)
        return alert
    if open_alert is None:
        return None  # acknowledge/resolve for a key with no open alert: accepted, no effect
    _note(open_alert, integration, event)
    if event.action == "acknowledge":
        return _acknowledge(open_alert, integration, now)
    alert = _resolve(open_alert, integration, now)
    cache.note_resolved(alert)
    return alert


def _open_alert(integration: Integration, dedup_key: str, cache: ApplyCache) -> Alert | None:
    if cache.knows(integration, dedup_key):
        return cache.open_alerts[(integration.pk, dedup_key)]
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(integration=integration, dedup_key=dedup_key, status__in=OPEN_STATUSES)
        .first()
    )


def raw_payload(event: AlertEvent, integration: Integration) -> dict[str, Any]:
    raw = payload_redact(event.raw, keys=(integration.key, integration.previous_key))
    text = json.dumps(raw, default=str)
    if len(text) <= RAW_PAYLOAD_LIMIT:
        return raw
    return {"truncated": True, "size": len(text), "head": text[: RAW_PAYLOAD_LIMIT - 200]}


def alert_service(
    integration: Integration, event: AlertEvent, decision: Decision, cache: ApplyCache
) -> Service:
    if decision.service is not None:
        return decision.service
    if event.service_name:
        named = cache.service_named(integration.client_id, event.service_name)
        if named is not None:
            return named
    return integration.default_service


def _count_drop(decision: Decision, now: dt.datetime) -> None:
    # An UPDATE, not save(): a counter must not look like a rule change to the ingest cache.
    if decision.drop_rule_id is not None:
        EventRule.objects.filter(pk=decision.drop_rule_id).update(
            dropped_count=F("dropped_count") + 1, last_dropped_at=now
        )


def _new_alert(
    integration: Integration, event: AlertEvent, decision: Decision, now: dt.datetime, cache: ApplyCache
) -> Alert:
    service = alert_service(integration, event, decision, cache)
    flapping = None
    if not decision.suppress_reason and cache.may_flap(integration, event.dedup_key):
        flapping = flapping_check(integration, event.dedup_key, now)
    if flapping is not None:
        decision.suppress_reason = FLAPPING
    alert = alert_build(integration, event, decision, now, service)
    if alert.suppressed:
        row_insert(alert)
        if flapping is not None:
            flapping_record(alert, integration, flapping)
        return alert
    # The incident first, so the alert is inserted with it (one statement fewer per alert).
    alert.incident = _incident_for(alert, integration, now)
    row_insert(alert)
    incidents.timeline_add(
        incident=alert.incident, kind=TimelineKind.ALERT, by=alert_by(integration),
        text=f"Alert {alert.severity}: {alert.summary}",
        data={"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "triggered"},
    )  # fmt: skip
    return alert


def alert_build(
    integration: Integration, event: AlertEvent, decision: Decision, now: dt.datetime, service: Service
) -> Alert:
    """The new alert of a trigger, not saved yet (no incident)."""
    return Alert(
        client_id=integration.client_id, integration=integration, service=service,
        dedup_key=event.dedup_key, summary=event.summary[:1024] or "(no summary)", source=event.source[:255],
        severity=decision.severity or event.severity, component=event.component[:255],
        group=event.group[:255],
        alert_class=event.alert_class[:255], group_key=event.group_key[:1024], labels=event.labels,
        details=event.details, links=event.links, images=event.images, raw=raw_payload(event, integration),
        impact=decision.impact, urgency=decision.urgency, category=decision.category,
        tags=_tags(event.tags, decision.tags),
        suppressed=bool(decision.suppress_reason), suppressed_reason=decision.suppress_reason[:200],
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip


def _tags(sent: list[str], added: list[str]) -> list[str]:
    """The sender's tags, then those the rules add, each once."""
    return list(dict.fromkeys([*sent, *added]))


def _repeat(alert: Alert, event: AlertEvent, now: dt.datetime, integration: Integration) -> Alert:
    alert.occurrence_count += 1
    alert.last_seen_at = now
    alert.summary = event.summary[:1024] or alert.summary
    alert.details = event.details or alert.details
    alert.raw = raw_payload(event, integration)
    row_update(alert, alert.touch_fields("occurrence_count", "last_seen_at", "summary", "details", "raw"))
    return alert


def alert_by(integration: Integration) -> str:
    return f"{integration.name} ({integration.get_type_display()})"


def _incident_for(alert: Alert, integration: Integration, now: dt.datetime) -> Incident:
    """The open incident of the alert's group within the integration's window, or a new one."""
    if alert.group_key and integration.group_window_minutes:
        since = now - dt.timedelta(minutes=integration.group_window_minutes)
        incident = incident_lock_grouped(service=alert.service, group_key=alert.group_key, since=since)
        if incident is not None:
            return incident
    impact, urgency = incident_terms(alert)
    # The service is the integration's client's (rules and names resolve within it).
    return incidents.incident_open(
        client=integration.client, service=alert.service, title=alert.summary, impact=impact,
        urgency=urgency, category=alert.category, group_key=alert.group_key, by=alert_by(integration),
        data={"dedup_key": alert.dedup_key, "severity": alert.severity},
    )  # fmt: skip


def incident_terms(alert: Alert) -> tuple[str, str]:
    """The impact and urgency of the incident a new alert opens: the rules', else its severity's."""
    impact, urgency = alert.impact, alert.urgency
    if not (impact and urgency):
        default_impact, default_urgency = severity_defaults(alert.severity)
        impact, urgency = impact or default_impact, urgency or default_urgency
    return impact, urgency


def _note(alert: Alert, integration: Integration, event: AlertEvent) -> None:
    """The sender's note on an acknowledge/resolve, on the incident before the status change."""
    if not event.note or alert.incident is None:
        return
    author = f"{event.note_by} via {integration.name}" if event.note_by else integration.name
    incidents.timeline_add(
        incident=alert.incident, kind=TimelineKind.NOTE, by=author[:200], text=event.note,
        data={"alert": alert.pk, "dedup_key": alert.dedup_key, "event": event.action},
    )  # fmt: skip


def _acknowledge(alert: Alert, integration: Integration, now: dt.datetime) -> Alert:
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, now
    row_update(alert, alert.touch_fields("status", "acknowledged_at"))
    if alert.incident is not None:
        incidents.incident_acknowledge(incident=alert.incident, by=integration.name)
    return alert


def _resolve(alert: Alert, integration: Integration, now: dt.datetime) -> Alert:
    alert.status, alert.resolved_at = AlertStatus.RESOLVED, now
    row_update(alert, alert.touch_fields("status", "resolved_at"))
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


@dataclass(frozen=True)
class Flapping:
    changes: int
    minutes: int
    onset: bool  # the first suppressed trigger of this bout: the one the timeline records
    last_incident_id: int | None


def flapping_settings(integration: Integration) -> tuple[int, int]:
    """(state changes, minutes) from integration.config["flapping"]; changes 0 turns it off."""
    config = integration.config.get("flapping") if isinstance(integration.config, dict) else None
    config = config if isinstance(config, dict) else {}
    values = []
    for name, low, high in (("changes", 0, 1000), ("minutes", 1, 24 * 60)):
        value = config.get(name, FLAPPING_DEFAULTS[name])
        if not isinstance(value, int) or isinstance(value, bool):
            value = FLAPPING_DEFAULTS[name]
        values.append(min(max(value, low), high))
    return values[0], values[1]


def flapping_check(integration: Integration, dedup_key: str, now: dt.datetime) -> Flapping | None:
    """Whether a new trigger of `dedup_key` is flapping, from the stored alerts of the key.

    A state change is a resolve, or a trigger that follows a resolve; the arriving trigger
    counts. Caller knows the key has no open alert. One indexed query per new alert."""
    changes, minutes = flapping_settings(integration)
    if changes <= 0:
        return None
    since = now - dt.timedelta(minutes=minutes)
    rows = list(
        Alert.objects.filter(
            integration=integration, dedup_key=dedup_key, status=AlertStatus.RESOLVED, resolved_at__gte=since
        )
        .order_by("-first_seen_at", "-id")
        .values_list("first_seen_at", "suppressed_reason", "incident_id")[:changes]
    )
    # Every row resolved in the window; each but the oldest was also re-triggered in it.
    retriggers = sum(1 for first_seen, _, _ in rows[:-1] if first_seen >= since)
    counted = len(rows) + retriggers + 1
    if not rows or counted < changes:
        return None
    onset = rows[0][1] != FLAPPING
    last_incident = next((incident for _, _, incident in rows if incident is not None), None)
    if onset and last_incident is None:
        last_incident = (
            Alert.objects.filter(integration=integration, dedup_key=dedup_key, incident__isnull=False)
            .order_by("-first_seen_at", "-id")
            .values_list("incident_id", flat=True)
            .first()
        )
    return Flapping(counted, minutes, onset, last_incident)


def flapping_record(alert: Alert, integration: Integration, flapping: Flapping) -> None:
    """Note the start of a bout on the last incident of the key (later triggers add nothing)."""
    if not flapping.onset or flapping.last_incident_id is None:
        return
    incident = Incident.objects.filter(pk=flapping.last_incident_id).first()
    if incident is None:
        return
    incidents.timeline_add(
        incident=incident, kind=TimelineKind.ALERT, by=alert_by(integration),
        text=(
            f"Alert flapping: {alert.summary} changed state {flapping.changes} times in "
            f"{flapping.minutes} minutes; new triggers are kept but suppressed until it stays quiet"
        ),
        data={"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "flapping"},
    )  # fmt: skip


def _annotate(integration: Integration, event: AlertEvent, cache: ApplyCache) -> None:
    """Change events: a note on the open incidents of the service; nobody is paged."""
    service = alert_service(integration, event, Decision(), cache)
    for incident in Incident.objects.filter(service=service, status__in=OPEN_INCIDENT_STATUSES):
        incidents.timeline_add(
            incident=incident, kind=TimelineKind.CHANGE, by=integration.name,
            text=f"Change: {event.summary}", data={"source": event.source, "links": event.links},
        )  # fmt: skip
