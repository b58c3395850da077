"""The official `pagerduty` Python client against a running Watchkeeper, with only its base URL
changed: trigger, re-trigger, acknowledge, resolve, and the incident follows.

The client accepts only https:// base URLs, so the web role serves TLS itself (with a
certificate for 127.0.0.1 made here) and the client trusts exactly that certificate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pagerduty
import pytest

from tests.compat.live import Stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(tmp_path_factory.mktemp("pd-client")) as running:
        running.migrate()
        running.seed("pagerduty")
        running.start_web(tls=True)
        running.start_engine()
        yield running


def _client(stack: Stack, key: str) -> pagerduty.EventsApiV2Client:
    return pagerduty.EventsApiV2Client(key, base_url=stack.base_url, verify=stack.trust())


def _only_alert(stack: Stack, dedup_key: str) -> dict[str, Any]:
    state = stack.snapshot()
    assert state["pending"] == 0 and not state["failed"], state
    alerts = [a for a in state["alerts"] if a["dedup_key"] == dedup_key]
    assert len(alerts) == 1, alerts
    return alerts[0]


def test_trigger_retrigger_acknowledge_resolve(stack: Stack) -> None:
    events = _client(stack, stack.keys["pagerduty"])
    summary = "DISK at 99% on db01"
    assert events.trigger(summary, "db01.example.com", dedup_key="db01/disk") == "db01/disk"
    assert events.trigger(summary, "db01.example.com", dedup_key="db01/disk", severity="error") == "db01/disk"
    alert = _only_alert(stack, "db01/disk")
    assert (alert["status"], alert["occurrence_count"], alert["summary"]) == ("triggered", 2, summary)
    assert alert["incident__status"] == "triggered" and alert["incident__number"] >= 1

    assert events.acknowledge("db01/disk") == "db01/disk"
    alert = _only_alert(stack, "db01/disk")
    assert (alert["status"], alert["incident__status"]) == ("acknowledged", "acknowledged")

    assert events.resolve("db01/disk") == "db01/disk"
    alert = _only_alert(stack, "db01/disk")
    assert (alert["status"], alert["incident__status"]) == ("resolved", "resolved")


def test_trigger_without_dedup_key_gets_one_back(stack: Stack) -> None:
    events = _client(stack, stack.keys["pagerduty"])
    key = events.trigger(
        "Backup job failed", "backup01", severity="warning", custom_details={"job": "nightly"}
    )
    assert len(key) == 32
    assert _only_alert(stack, key)["status"] == "triggered"


def test_change_event_is_accepted(stack: Stack) -> None:
    events = _client(stack, stack.keys["pagerduty"])
    events.send_change_event(
        payload={"summary": "Deployed v2.3.1", "source": "ci", "timestamp": "2024-05-01T10:00:00Z"},
        links=[{"href": "https://ci.example.com/builds/42", "text": "Build 42"}],
    )
    assert stack.snapshot()["failed"] == []


def test_unknown_routing_key_is_refused_like_pagerduty(stack: Stack) -> None:
    events = _client(stack, "x" * 32)
    with pytest.raises(pagerduty.HttpError) as refused:
        events.trigger("Nobody listens", "nowhere", dedup_key="nope")
    response = refused.value.response
    assert response is not None and response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event" and body["errors"]
