"""PagerDuty Events API v2, wire-compatible: a PagerDuty client only changes its base URL."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.sources.base import InboxRow, Source, config_unchecked
from watchkeeper.alerts.sources.pagerduty import parse, setup


def _event(row: InboxRow) -> list[AlertEvent]:
    return [parse.parse_event(row.payload, dedup_key=row.dedup_key)]


def _change(row: InboxRow) -> list[AlertEvent]:
    return [parse.parse_change(row.payload)]


SOURCE = Source(
    kind="pagerduty",
    label="PagerDuty Events API v2",
    parsers={"pagerduty": _event, "pagerduty_change": _change},
    config_check=config_unchecked,
    setup_text=setup.setup_text,
    urls="watchkeeper.alerts.sources.pagerduty.urls",
)
