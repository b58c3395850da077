"""Prometheus Alertmanager `webhook_config` (version 4): one request, one group, one inbox row."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.sources.alertmanager import parse, setup
from watchkeeper.alerts.sources.base import InboxRow, Source, config_unchecked


def _group(row: InboxRow) -> list[AlertEvent]:
    # The whole group is one row: one event per alert, in the order Alertmanager sent them.
    return parse.parse_group(row.payload, config=row.integration.config)


SOURCE = Source(
    kind="alertmanager",
    label="Prometheus Alertmanager",
    parsers={"alertmanager": _group},
    config_check=config_unchecked,
    setup_text=setup.setup_text,
    urls="watchkeeper.alerts.sources.alertmanager.urls",
)
