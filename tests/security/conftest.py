"""Helpers for the noisy-neighbour stories (events of two clients in one inbox batch), and the
scenario harness's fixtures (a story with its SMTP and HTTP sinks)."""

from __future__ import annotations

import time
from typing import Any

from tests.smoke.conftest import sinks, smtp_settings, story
from watchkeeper.alerts.models import InboxEvent, InboxStatus, Integration
from watchkeeper.alerts.services.intake import inbox_accept_many
from watchkeeper.alerts.services.processing import inbox_process

__all__ = ["sinks", "smtp_settings", "story"]

# What one engine cycle may take for another client's event, whatever a tenant configured.
CYCLE_BUDGET = 0.5


def trigger(integration: Integration, key: str, summary: str) -> dict[str, Any]:
    return {
        "routing_key": integration.key, "event_action": "trigger", "dedup_key": key,
        "payload": {"summary": summary, "source": "db01", "severity": "critical"},
    }  # fmt: skip


def one_batch(*events: tuple[Integration, dict[str, Any]]) -> float:
    """Accept the events in order, run one engine cycle, and return how long it took; every
    event must have been processed in that cycle."""
    for integration, body in events:
        inbox_accept_many(integration=integration, kind="pagerduty", payloads=[body])
    started = time.perf_counter()
    processed = inbox_process()
    took = time.perf_counter() - started
    assert processed == len(events)
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()
    return took
