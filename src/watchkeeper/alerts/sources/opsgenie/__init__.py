"""Opsgenie Alert API subset: create, acknowledge, close, alert updates, reads and request status."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.sources.base import InboxRow, Parser, Source, config_unchecked
from watchkeeper.alerts.sources.opsgenie import changes, parse, setup


def _create(row: InboxRow) -> list[AlertEvent]:
    return [parse.parse_create(row.payload, alias=row.dedup_key)]


def _acknowledge(row: InboxRow) -> list[AlertEvent]:
    return parse.action_events(row.payload, action="acknowledge", integration_id=row.integration_id)


def _close(row: InboxRow) -> list[AlertEvent]:
    return parse.action_events(row.payload, action="close", integration_id=row.integration_id)


def _change_parser(operation: str) -> Parser:
    def _parse(row: InboxRow) -> list[AlertEvent]:
        return changes.change_events(row.payload, operation=operation, integration_id=row.integration_id)

    return _parse


SOURCE = Source(
    kind="opsgenie",
    label="Opsgenie Alert API",
    parsers={
        "opsgenie": _create,
        "opsgenie_ack": _acknowledge,
        "opsgenie_close": _close,
        **{kind: _change_parser(operation) for operation, kind in changes.KINDS.items()},
    },
    config_check=config_unchecked,
    setup_text=setup.setup_text,
    urls="watchkeeper.alerts.sources.opsgenie.urls",
)
