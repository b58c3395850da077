"""Update events: change a stored alert (open or not) without a state change: its tags and
details, its priority, a note or a new owner on its incident (Opsgenie's alert API).

Caller holds a transaction (the inbox row's); an `EventError` fails the row at once, which the
sender sees in its request status, as Opsgenie reports an action on an alert it cannot do.
"""

from __future__ import annotations

from django.db.models import Q

from watchkeeper.accounts.models import User
from watchkeeper.alerts.events import AlertChange, AlertEvent, EventError
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.services.batch import ApplyCache
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.rows import row_update
from watchkeeper.incidents import services as incidents
from watchkeeper.incidents.models import TimelineKind

MAX_TAGS = 50


def alert_change(*, integration: Integration, event: AlertEvent, cache: ApplyCache) -> Alert:
    """Apply `event.change` to the alert it names within the integration's client."""
    change = event.change or AlertChange()
    alert = _alert_locked(integration, event, change, cache)
    if alert is None:
        raise EventError(["Alert does not exist"])
    author = f"{event.note_by} via {integration.name}" if event.note_by else integration.name
    said = _alert_fields_change(alert, change)
    needs_incident = bool(event.note or change.owner_email)
    if alert.incident is None:
        if needs_incident:
            raise EventError(
                ["The alert has no incident (it was suppressed): there is no timeline to change"]
            )
        return alert
    data = {"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "updated"}
    if said:
        incidents.timeline_add(
            incident=alert.incident, kind=TimelineKind.ALERT, by=author[:200],
            text=f"Alert {alert.summary[:200]}: {'; '.join(said)}", data=data,
        )  # fmt: skip
    if event.note:
        incidents.timeline_add(
            incident=alert.incident, kind=TimelineKind.NOTE, by=author[:200], text=event.note,
            data={**data, "event": "note"},
        )  # fmt: skip
    if change.owner_email:
        _assign(alert, integration, change.owner_email, author)
    return alert


def _alert_locked(
    integration: Integration, event: AlertEvent, change: AlertChange, cache: ApplyCache
) -> Alert | None:
    """The named alert under its row lock; the batch's cached copy when it holds this alert,
    so later events of the batch see the change."""
    alerts = Alert.objects.select_for_update().filter(client_id=integration.client_id)
    if change.alert_id is not None:
        alert = alerts.filter(pk=change.alert_id).first()
    else:
        if cache.knows(integration, event.dedup_key) and cache.open_alerts[(integration.pk, event.dedup_key)]:
            return cache.open_alerts[(integration.pk, event.dedup_key)]
        alert = (
            alerts.filter(
                integration=integration, dedup_key=event.dedup_key, status__in=OPEN_STATUSES
            ).first()
            or alerts.filter(dedup_key=event.dedup_key).order_by("-first_seen_at", "-id").first()
        )
    if alert is None:
        return None
    cached = cache.open_alerts.get((alert.integration_id, alert.dedup_key))
    return cached if cached is not None and cached.pk == alert.pk else alert


def _alert_fields_change(alert: Alert, change: AlertChange) -> list[str]:
    """Change the alert's own fields; what changed, in words for the timeline."""
    said: list[str] = []
    fields: list[str] = []
    tags = [tag for tag in dict.fromkeys([*alert.tags, *change.tags_add]) if tag not in change.tags_remove]
    if tags != alert.tags:
        if len(tags) > MAX_TAGS:
            raise EventError([f"An alert can have at most {MAX_TAGS} tags"])
        added = [tag for tag in tags if tag not in alert.tags]
        removed = [tag for tag in alert.tags if tag not in tags]
        said += [f"tags added: {', '.join(added)}"] if added else []
        said += [f"tags removed: {', '.join(removed)}"] if removed else []
        alert.tags = tags
        fields.append("tags")
    details = {
        k: v for k, v in {**alert.details, **change.details_add}.items() if k not in change.details_remove
    }
    if change.priority:
        details["priority"] = change.priority
    if details != alert.details:
        changed = [key for key in details if alert.details.get(key) != details[key]]
        removed = [key for key in alert.details if key not in details]
        said += [f"details set: {', '.join(changed)}"] if changed else []
        said += [f"details removed: {', '.join(removed)}"] if removed else []
        alert.details = details
        fields.append("details")
    if change.severity and change.severity != alert.severity:
        said.append(f"severity {alert.severity} → {change.severity}")
        alert.severity = change.severity
        fields.append("severity")
    if fields:
        row_update(alert, alert.touch_fields(*fields))
    return said


def _assign(alert: Alert, integration: Integration, email: str, author: str) -> None:
    assert alert.incident is not None  # noqa: S101 — the caller checked
    # One answer for "no such user" and "may not work on this client": a key must not learn
    # which people the MSP has.
    refused = EventError([f"User '{email}' does not exist or cannot own this client's incidents"])
    owner = User.objects.filter(Q(email__iexact=email), is_active=True).first()
    if owner is None:
        raise refused
    try:
        incidents.incident_assign(incident=alert.incident, by=author[:200], owner=owner)
    except InvalidInput:
        raise refused from None
