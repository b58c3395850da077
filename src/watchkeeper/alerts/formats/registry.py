"""Which parser turns an inbox row of each kind into normalised events."""

from __future__ import annotations

from collections.abc import Callable

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.formats import alertmanager, heartbeat, opsgenie, pagerduty, webhook
from watchkeeper.alerts.formats.email import parse_email
from watchkeeper.alerts.models import InboxEvent

Parser = Callable[[InboxEvent], list[AlertEvent]]


def _pagerduty(row: InboxEvent) -> list[AlertEvent]:
    return [pagerduty.parse_event(row.payload, dedup_key=row.dedup_key)]


def _pagerduty_change(row: InboxEvent) -> list[AlertEvent]:
    return [pagerduty.parse_change(row.payload)]


def _email(row: InboxEvent) -> list[AlertEvent]:
    # The integration's rules as they are now: fixing a rule also fixes mail still in the inbox.
    return [parse_email(row.payload, config=row.integration.config)]


def _alertmanager(row: InboxEvent) -> list[AlertEvent]:
    # The whole group is one row: one event per alert, in the order Alertmanager sent them.
    return alertmanager.parse_group(row.payload, config=row.integration.config)


def _opsgenie(row: InboxEvent) -> list[AlertEvent]:
    return [opsgenie.parse_create(row.payload, alias=row.dedup_key)]


def _opsgenie_acknowledge(row: InboxEvent) -> list[AlertEvent]:
    return opsgenie.action_events(row.payload, action="acknowledge", integration_id=row.integration_id)


def _opsgenie_close(row: InboxEvent) -> list[AlertEvent]:
    return opsgenie.action_events(row.payload, action="close", integration_id=row.integration_id)


def _webhook(row: InboxEvent) -> list[AlertEvent]:
    # Templates rendered at ingest; the row holds the result (see formats/webhook.py).
    return [webhook.parse_stored(row.payload)]


def _heartbeat(row: InboxEvent) -> list[AlertEvent]:
    return heartbeat.parse_checkin(row.payload)


PARSERS: dict[str, Parser] = {
    "pagerduty": _pagerduty,
    "pagerduty_change": _pagerduty_change,
    "alertmanager": _alertmanager,
    "opsgenie": _opsgenie,
    "opsgenie_ack": _opsgenie_acknowledge,
    "opsgenie_close": _opsgenie_close,
    "webhook": _webhook,
    "heartbeat": _heartbeat,
    "email": _email,
}
