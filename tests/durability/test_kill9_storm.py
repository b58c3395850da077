"""kill -9 in the middle of an alert storm of repeats: the engine folds repeats of an open alert
into one UPDATE per batch (alerts/services/repeats.py), so a crash between fold and commit must
lose no occurrence and count none twice.

Every inbox row is applied exactly once: after restart the occurrences of all alerts add up to
the inbox rows, each key is one alert with one incident, and each key has at least as many
occurrences as events answered 202 (an event cut mid-request may be committed and sent again:
one more row, one more occurrence, as with PagerDuty).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.compat.live import Stack
from tests.durability.test_kill9 import Senders

pytestmark = pytest.mark.slow

KEYS = 20
EVENTS = 6_000
KILL_AFTER = 2_500


class StormSenders(Senders):
    """Each item is `<dedup key>#<sequence>`: many repeats of a few keys."""

    def _event(self, key: str) -> tuple[str, dict[str, Any]]:
        dedup_key = key.split("#", 1)[0]
        body = {
            "routing_key": self.routing_key, "event_action": "trigger", "dedup_key": dedup_key,
            "payload": {"summary": f"Probe failed ({key})", "source": "storm", "severity": "error"},
        }  # fmt: skip
        return dedup_key, body


def test_kill9_in_a_storm_of_repeats_applies_every_row_once(tmp_path: Path) -> None:
    with Stack(tmp_path) as stack:
        stack.migrate()
        routing_key = stack.seed("pagerduty")["pagerduty"]
        url = stack.start_web()
        port = int(url.rsplit(":", 1)[1])
        stack.start_engine()
        items = [f"storm-{n % KEYS:02d}#{n}" for n in range(EVENTS)]
        senders = StormSenders(url + "/v2/enqueue", routing_key, items)
        senders.start()
        deadline = time.monotonic() + 60
        while senders.answered() < KILL_AFTER:
            assert time.monotonic() < deadline, f"only {senders.answered()} answered"
            time.sleep(0.01)
        stack.kill("web")
        stack.kill("engine")
        answered_at_kill = senders.answered()
        stack.start_web(port=port)
        stack.start_engine()
        senders.join(timeout=90)
        state = stack.snapshot(timeout=120)
    assert 0 < answered_at_kill < EVENTS, "the kill happened in the middle of the run"
    assert state["pending"] == 0 and state["failed"] == [], state["failed"]
    assert not senders.refusals, f"refused: {dict(senders.refusals)}"
    accepted = Counter(senders.accepted)
    assert sum(accepted.values()) == EVENTS
    alerts = {alert["dedup_key"]: alert for alert in state["alerts"]}
    assert len(state["alerts"]) == KEYS == len(alerts), "each key one alert"
    assert len({alert["incident_id"] for alert in state["alerts"]}) == KEYS, "each key one incident"
    occurrences = sum(alert["occurrence_count"] for alert in state["alerts"])
    assert occurrences == state["inbox"], "every inbox row applied exactly once"
    short = {key: (alerts[key]["occurrence_count"], n) for key, n in accepted.items()
             if alerts[key]["occurrence_count"] < n}  # fmt: skip
    assert not short, f"occurrences lost: {short}"
    print(f"killed after {answered_at_kill} answers; {state['inbox']} inbox rows for {EVENTS} events")
