"""Opsgenie Alert API subset: create, acknowledge, close and request status."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import InboxEvent
from watchkeeper.alerts.sources.base import Source, config_unchecked
from watchkeeper.alerts.sources.opsgenie import parse, setup


def _create(row: InboxEvent) -> list[AlertEvent]:
    return [parse.parse_create(row.payload, alias=row.dedup_key)]


def _acknowledge(row: InboxEvent) -> list[AlertEvent]:
    return parse.action_events(row.payload, action="acknowledge", integration_id=row.integration_id)


def _close(row: InboxEvent) -> list[AlertEvent]:
    return parse.action_events(row.payload, action="close", integration_id=row.integration_id)


SOURCE = Source(
    kind="opsgenie",
    label="Opsgenie Alert API",
    parsers={"opsgenie": _create, "opsgenie_ack": _acknowledge, "opsgenie_close": _close},
    config_check=config_unchecked,
    setup_text=setup.setup_text,
    urls="watchkeeper.alerts.sources.opsgenie.urls",
)
