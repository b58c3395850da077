"""Stories of delivery: rules with delays, fallback, throttling, webhooks, DST."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.smoke.harness import Scenario
from watchkeeper.core import clock
from watchkeeper.incidents.services import incident_acknowledge
from watchkeeper.paging.models import MessageState, OutboxMessage, TargetKind
from watchkeeper.paging.services import notification_send

pytestmark = pytest.mark.django_db


def test_a_0_5_15_minute_rule_fires_each_step_once(story: Scenario) -> None:
    alice = story.user(
        "Alice",
        methods=[
            ("email", "alice@msp.example", 0),
            ("webhook", "webhook:alice-push", 5),
            ("email", "alice@home.example", 15),
        ],
    )
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to="alice@msp.example", containing=incident.reference)
    story.fast_forward(minutes=4)
    story.run_engine()
    story.expect_no_messages()
    story.fast_forward(minutes=1)
    story.run_engine()
    push = story.expect_message(to="/alice-push", containing=incident.reference)
    assert push.channel == "webhook"
    story.fast_forward(minutes=10)
    story.run_engine()
    story.run_engine()
    story.expect_message(to="alice@home.example", containing=incident.reference)
    story.fast_forward(minutes=30)
    story.run_engine()

    story.expect_no_messages()


def test_acknowledging_cancels_the_later_rule_steps(story: Scenario) -> None:
    alice = story.user(
        "Alice", methods=[("email", "alice@msp.example", 0), ("email", "alice@home.example", 5)]
    )
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to="alice@msp.example")
    incident_acknowledge(incident=incident, by=alice)
    story.fast_forward(minutes=10)
    story.run_engine()
    story.expect_no_messages()


def test_a_failing_contact_method_falls_back_to_the_next(story: Scenario) -> None:
    alice = story.user(
        "Alice", methods=[("email", "gone@msp.example", 0), ("email", "alice@home.example", 10)]
    )
    story.sinks.recorder.refuse["gone@msp.example"] = 550
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    # The first method failed for good (550): the next one is paged now, not in 10 minutes.
    story.expect_message(to="alice@home.example", containing=incident.reference)
    failed = OutboxMessage.objects.get(contact_method__label__contains="gone@")
    assert failed.state == MessageState.FAILED
    assert "550" in failed.provider_response
    assert incident.timeline.filter(kind="page", text__contains="failed (550").exists()
    story.fast_forward(minutes=15)
    story.run_engine()

    story.expect_no_messages()


def test_a_temporary_failure_is_retried_with_backoff(story: Scenario) -> None:
    alice = story.user("Alice")
    story.sinks.recorder.refuse[alice.email] = 451
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    story.expect_no_messages()
    message = OutboxMessage.objects.get(incident=incident)
    assert (message.state, message.attempts) == (MessageState.PENDING, 1)
    del story.sinks.recorder.refuse[alice.email]
    story.fast_forward(minutes=1)
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)


def test_throttling_bundles_an_alert_storm(story: Scenario) -> None:
    alice = story.user("Alice", methods=[])
    story.contact(alice, "sms", "webhook:alice-sms", throttle=3)
    story.policy((60, [alice]))
    incidents = [story.incident(f"Disk full on server {n}") for n in range(10)]
    story.run_engine()
    for incident in incidents[:3]:
        story.expect_message(to="/alice-sms", containing=incident.reference)
    story.expect_no_messages()  # the other seven wait for the throttle window
    story.fast_forward(minutes=15)
    story.run_engine()
    bundle = story.expect_message(to="/alice-sms", containing="(+6 more)")
    for incident in incidents[3:]:
        assert incident.reference in bundle.subject + bundle.body
    assert OutboxMessage.objects.filter(state=MessageState.BUNDLED).count() == 6


def test_pages_are_right_across_a_dst_change(story: Scenario) -> None:
    # Europe/London springs forward at 01:00 UTC on 29 March 2026: a 10-minute delay is still
    # 10 minutes of real time, and no step is skipped or doubled.
    clock.freeze(dt.datetime(2026, 3, 29, 0, 55, tzinfo=dt.UTC))
    alice, bob = story.user("Alice", timezone="Europe/London"), story.user("Bob", timezone="Europe/London")
    story.policy((10, [alice]), (10, [bob]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.fast_forward(minutes=9, seconds=59)
    story.run_engine()
    story.expect_no_messages()
    story.fast_forward(seconds=1)
    story.run_engine()
    story.expect_message(to=bob.email, containing=incident.reference)


def test_round_robin_pages_team_members_in_turn(story: Scenario) -> None:
    from tests.accounts.factories import TeamFactory
    from watchkeeper.accounts.models import TeamMembership

    team = TeamFactory(name="NOC")
    members = [story.user(name) for name in ("Ann", "Ben")]
    for member in members:
        TeamMembership.objects.create(team=team, user=member)
    story.policy((60, [(TargetKind.TEAM_ROUND_ROBIN, team)]))
    first, second = story.incident("First"), story.incident("Second")
    story.run_engine()
    story.expect_message(to="ann@msp.example", containing=first.reference)
    story.expect_message(to="ben@msp.example", containing=second.reference)


def test_notification_send_is_idempotent_by_dedup_key(story: Scenario) -> None:
    alice = story.user("Alice")
    for _ in range(2):
        notification_send(
            user=alice, subject="SLA at risk: ACME-1", text="75 % of the target", dedup_key="sla:1:75"
        )
    story.run_engine()
    message = story.expect_message(to=alice.email, containing="SLA at risk")
    assert "/paging/respond/" not in message.body  # a notification, not a page
