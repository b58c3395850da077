"""Which parser turns an inbox row of each kind into normalised events."""

from __future__ import annotations

from collections.abc import Callable

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.formats import pagerduty
from watchkeeper.alerts.models import InboxEvent

Parser = Callable[[InboxEvent], list[AlertEvent]]


def _pagerduty(row: InboxEvent) -> list[AlertEvent]:
    return [pagerduty.parse_event(row.payload, dedup_key=row.dedup_key)]


def _pagerduty_change(row: InboxEvent) -> list[AlertEvent]:
    return [pagerduty.parse_change(row.payload)]


PARSERS: dict[str, Parser] = {
    "pagerduty": _pagerduty,
    "pagerduty_change": _pagerduty_change,
}
