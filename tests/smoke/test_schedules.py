"""Stories of schedules behind escalation: the final schedule, overrides included, is who is paged."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.oncall.factories import make_schedule
from tests.smoke.conftest import START
from tests.smoke.harness import Scenario
from watchkeeper.oncall.services import override_create
from watchkeeper.paging.models import EscalationLevel, EscalationTarget, TargetKind

pytestmark = pytest.mark.django_db


def _page_by_schedule(story: Scenario, schedule: object) -> None:
    policy = story.policy()
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
    EscalationTarget.objects.create(level=level, kind=TargetKind.SCHEDULE, schedule=schedule)


def _expect_oncall_notices(story: Scenario, *people: object) -> None:
    """Creating a schedule tells its people their first shifts and who is on call now."""
    story.run_engine()
    for person in people:
        story.expect_message(to=person.email, containing="on-call shifts changed")  # type: ignore[attr-defined]


def test_the_schedule_pages_whoever_is_on_call_now(story: Scenario) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    schedule = make_schedule([alice, bob], unit="weeks", starts_on=START.date(), handoff=dt.time(8))
    _page_by_schedule(story, schedule)
    _expect_oncall_notices(story, alice, bob)
    story.expect_message(to=alice.email, containing="You are now on call")
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.expect_no_messages()


def test_an_override_redirects_the_page(story: Scenario) -> None:
    alice, bob, carol = story.user("Alice"), story.user("Bob"), story.user("Carol")
    schedule = make_schedule([alice, bob], unit="weeks", starts_on=START.date(), handoff=dt.time(8))
    _page_by_schedule(story, schedule)
    # Carol covers Alice this morning: she, not Alice, must be paged.
    override_create(
        actor="test", schedule=schedule, user=carol, replaces=alice,
        starts_at=START - dt.timedelta(minutes=30), ends_at=START + dt.timedelta(hours=3),
    )  # fmt: skip
    story.run_engine()
    # Alice and Bob hear of their first shifts; the override changes Alice's and Carol's.
    for person in (alice, alice, bob, carol):
        story.expect_message(to=person.email, containing="on-call shifts changed")
    story.expect_message(to=carol.email, containing="You are now on call")
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=carol.email, containing=incident.reference)
    story.expect_no_messages()  # nothing for Alice
    # After the override ends, Alice is back on call and the next incident pages her.
    story.fast_forward(minutes=4 * 60)
    story.run_engine()
    story.expect_message(to=carol.email, containing="You are off call")
    story.expect_message(to=alice.email, containing="You are now on call")
    later = story.incident("Backups failing")
    story.run_engine()
    story.expect_message(to=alice.email, containing=later.reference)
    story.expect_no_messages()
