"""Generic JSON webhook: the integration's templates turn any JSON body into an alert."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.sources.base import InboxRow, Source
from watchkeeper.alerts.sources.webhook import parse, setup


def _stored(row: InboxRow) -> list[AlertEvent]:
    # Templates rendered at ingest; the row holds the result (see parse.py).
    return [parse.parse_stored(row.payload)]


SOURCE = Source(
    kind="webhook",
    label="Generic JSON webhook",
    parsers={"webhook": _stored},
    # Templates are checked when saved: a broken one would otherwise fail every event at ingest.
    config_check=parse.webhook_config_validate,
    setup_text=setup.setup_text,
    urls="watchkeeper.alerts.sources.webhook.urls",
)
