"""Stories of escalation: who is paged when, and when paging stops."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.urls import reverse

from tests.smoke.harness import Scenario
from watchkeeper.core import clock
from watchkeeper.core.timers import timer_set
from watchkeeper.incidents.services import incident_acknowledge, incident_reopen, incident_resolve
from watchkeeper.paging.timers import ESCALATION_STEP as STEP

pytestmark = pytest.mark.django_db


def test_a_p1_pages_level_one_within_a_second(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    started = time.monotonic()
    incident = story.incident()
    story.run_engine()
    message = story.expect_message(to=alice.email, containing=incident.reference)
    assert time.monotonic() - started < 1.0
    assert message.subject.startswith("[P1]")
    assert "/paging/respond/" in message.body
    assert message.headers["Reply-To"].startswith("page-")


def test_no_acknowledgement_within_the_delay_pages_level_two(story: Scenario) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.fast_forward(minutes=9)
    story.run_engine()
    story.expect_no_messages()
    story.fast_forward(minutes=1)
    story.run_engine()
    story.expect_message(to=bob.email, containing=incident.reference)


def test_acknowledgement_stops_level_two(story: Scenario) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.fast_forward(minutes=5)
    incident_acknowledge(incident=incident, by=alice)
    story.run_engine()
    story.fast_forward(minutes=60)
    story.run_engine()
    story.expect_no_messages()


def test_resolve_stops_everything_and_reopen_starts_again(story: Scenario) -> None:
    alice = story.user(
        "Alice", methods=[("email", "alice@msp.example", 0), ("email", "alice@home.example", 5)]
    )
    story.policy((10, [alice]), repeat=3)
    incident = story.incident()
    story.run_engine()
    story.expect_message(to="alice@msp.example", containing=incident.reference)
    incident_resolve(incident=incident, by="monitoring")
    story.fast_forward(minutes=120)
    story.run_engine()
    story.expect_no_messages()  # neither the 5-minute rule nor the repeats
    incident_reopen(incident=incident, by=alice)
    story.run_engine()
    story.expect_message(to="alice@msp.example", containing=incident.reference)


def test_repeat_n_times_then_stop(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((5, [alice]), repeat=2)
    incident = story.incident()
    for _ in range(3):  # the first run and two repeats
        story.run_engine()
        story.expect_message(to=alice.email, containing=incident.reference)
        story.fast_forward(minutes=5)
    story.fast_forward(minutes=60)
    story.run_engine()
    story.expect_no_messages()
    assert incident.timeline.filter(kind="page", text__contains="paging stopped").count() == 1


def test_catch_up_after_downtime_pages_each_level_once(story: Scenario) -> None:
    alice, bob, carol = story.user("Alice"), story.user("Bob"), story.user("Carol")
    story.policy((5, [alice]), (5, [bob]), (5, [carol]))
    incident = story.incident()
    story.fast_forward(minutes=30)  # the engine was down all along
    story.run_engine()
    for person in (alice, bob, carol):
        story.expect_message(to=person.email, containing=incident.reference)
    assert clock.now() is not None


def _panel(html: str) -> str:
    return html[
        html.index('class="paging-panel"') : html.index("</section>", html.index('class="paging-panel"'))
    ]


def test_the_paging_panel_names_the_level_that_paged_and_escalates_to_the_next(
    story: Scenario, browser_as: Any
) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)

    # Level 1 paged Alice: the panel says so, and proposes level 2, not Alice again.
    http = browser_as(alice)
    panel = _panel(http.get(reverse("incidents:detail", args=[incident.pk])).content.decode())
    assert "paged level 1;" in panel and "level 2 at " in panel
    assert '<option value="2" selected>Level 2</option>' in panel
    assert '<option value="1">Level 1 (paged)</option>' in panel

    # Alice presses "Escalate now" as proposed: Bob is paged.
    response = http.post(reverse("paging:escalate", args=[incident.pk]), {"level": "2"})
    assert response.status_code == 302
    story.run_engine()
    story.expect_message(to=bob.email, containing=incident.reference)
    panel = _panel(http.get(reverse("incidents:detail", args=[incident.pk])).content.decode())
    assert "paged level 2;" in panel and "paging stops at " in panel
    assert '<option value="2" selected>Level 2 (paged)</option>' in panel


def test_a_backlog_of_steps_pages_each_current_level_once(story: Scenario) -> None:
    """Level-2 steps of several incidents fall due in one engine cycle and run as one batch
    (ADR 0035): the acknowledged incidents' steps and a stale step of an earlier position do
    nothing; every other incident pages level 2 once."""
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    incidents = [story.incident(f"Server {n} unreachable") for n in range(6)]
    story.run_engine()
    for incident in incidents:
        story.expect_message(to=alice.email, containing=incident.reference)
    for incident in incidents[:2]:
        incident_acknowledge(incident=incident, by=alice)
    timer_set(kind=STEP, key=f"{incidents[2].pk}:0:0:1", due_at=clock.now())  # no such run
    story.fast_forward(minutes=10)
    story.run_engine()
    for incident in incidents[2:]:
        story.expect_message(to=bob.email, containing=incident.reference)
    story.expect_no_messages()
    story.fast_forward(minutes=1)
    story.run_engine()
    story.expect_no_messages()
