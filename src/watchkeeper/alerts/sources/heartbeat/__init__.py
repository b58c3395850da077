"""Heartbeat / cron check-ins. A check-in only resolves; the engine raises the missed-check-in
alert from stored times (services/heartbeats.py)."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.sources.base import InboxRow, Source, config_unchecked
from watchkeeper.alerts.sources.heartbeat import parse, setup


def _checkin(row: InboxRow) -> list[AlertEvent]:
    return parse.parse_checkin(row.payload)


SOURCE = Source(
    kind="heartbeat",
    label="Heartbeat / cron check-in",
    parsers={"heartbeat": _checkin},
    config_check=config_unchecked,
    setup_text=setup.setup_text,
    urls="watchkeeper.alerts.sources.heartbeat.urls",
)
