"""A story of the storm (issue 14, ADR 0038): a new P1 that arrives behind thousands of repeats
of other problems is paged by the next engine cycle, not after the backlog."""

from __future__ import annotations

from typing import Any

import pytest

from tests.smoke.harness import Scenario
from watchkeeper.alerts.models import Alert, InboxEvent, InboxStatus
from watchkeeper.alerts.services import processing
from watchkeeper.alerts.services.intake import inbox_accept_many
from watchkeeper.engine import loop
from watchkeeper.engine.loop import run_cycle
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_a_new_p1_in_a_storm_is_paged_by_the_next_cycle(story: Scenario, monkeypatch: Any) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    monitoring = story.integration("pagerduty")
    for host in ("web01", "web02"):
        story.post_pagerduty(monitoring, dedup_key=f"{host}/cpu", summary=f"CPU high on {host}")
    story.run_engine()
    story.expect_message(to=alice.email, containing="CPU high on web01")
    story.expect_message(to=alice.email, containing="CPU high on web02")

    # The storm: 3,000 repeats of the two open problems are waiting, then the new P1 arrives.
    repeat = {"routing_key": monitoring.key, "event_action": "trigger",
              "payload": {"summary": "CPU high", "source": "web", "severity": "warning"}}  # fmt: skip
    storm = [{**repeat, "dedup_key": f"web0{1 + n % 2}/cpu"} for n in range(3000)]
    inbox_accept_many(integration=monitoring, kind="pagerduty", payloads=storm)
    assert story.post_pagerduty(monitoring, dedup_key="db01/down", summary="Database down").status == 202

    # One engine cycle whose inbox pass is a single batch of 50 rows, however fast the machine.
    monkeypatch.setattr(loop, "PASS_SECONDS", 0)
    monkeypatch.setattr(processing._batch_size, "rows", 50)
    monkeypatch.setattr(processing._BatchSize, "adapt", lambda *_: None)
    run_cycle()
    incident = Incident.objects.get(alerts__dedup_key="db01/down")
    story.expect_message(to=alice.email, containing=incident.reference)
    assert InboxEvent.objects.filter(status=InboxStatus.PENDING).count() > 2900  # the storm still waits

    story.run_engine(max_cycles=200)
    assert dict(Alert.objects.values_list("dedup_key", "occurrence_count")) == {
        "web01/cpu": 1501, "web02/cpu": 1501, "db01/down": 1,
    }  # fmt: skip
    story.expect_no_messages()
