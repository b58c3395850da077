"""The hand-off timer as a story: people are told when they go on and off call, once each,
and the people a schedule change affects are told their new shifts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule
from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.engine.outbox import outbox_run_due
from watchkeeper.engine.registry import PAGING_MESSAGES, TIMERS
from watchkeeper.engine.timers import timers_run_due
from watchkeeper.oncall.models import Notice
from watchkeeper.oncall.services import override_create
from watchkeeper.oncall.timers import HANDOFF

UTC = dt.UTC
FIRST_SHIFTS = [
    ("ann@msp.example", "Your on-call shifts changed: NOC"),
    ("bob@msp.example", "Your on-call shifts changed: NOC"),
]


@pytest.fixture
def people(db: Any) -> list[Any]:
    return [UserFactory(full_name=n, email=f"{n.lower()}@msp.example") for n in ("Ann", "Bob", "Cat")]


def _run(capture: Any) -> list[tuple[str, str]]:
    """Engine passes over due timers and the outbox until both are idle; the e-mails sent as
    (recipient, subject). Notices travel hand-off timer → notice timer → paging's outbox."""
    mail.outbox.clear()
    with capture(execute=True):
        while timers_run_due(handlers=TIMERS) + outbox_run_due(outbox=PAGING_MESSAGES):
            pass
    return sorted((m.to[0], m.subject) for m in mail.outbox)


def test_on_and_off_call_notices_follow_the_handoffs(
    people: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    ann, bob, _ = people
    clock.freeze(dt.datetime(2026, 1, 5, 8, tzinfo=UTC))
    schedule = make_schedule([ann, bob], unit="days")  # hand-offs at 09:00 UTC daily
    # Both are told their first shifts; nobody is on call yet; the timer is re-armed for 09:00.
    assert _run(django_capture_on_commit_callbacks) == FIRST_SHIFTS
    timer = Timer.objects.get(kind=HANDOFF, key=str(schedule.pk))
    assert timer.due_at == dt.datetime(2026, 1, 5, 9, tzinfo=UTC) and timer.state == TimerState.PENDING

    clock.freeze(dt.datetime(2026, 1, 5, 9, 0, 2, tzinfo=UTC))
    assert _run(django_capture_on_commit_callbacks) == [("ann@msp.example", "You are now on call: NOC")]
    assert _run(django_capture_on_commit_callbacks) == []  # not due again until the next hand-off

    clock.freeze(dt.datetime(2026, 1, 6, 9, 0, 1, tzinfo=UTC))
    assert _run(django_capture_on_commit_callbacks) == [
        ("ann@msp.example", "You are off call: NOC"),
        ("bob@msp.example", "You are now on call: NOC"),
    ]


def test_a_late_engine_sends_only_what_is_still_true(
    people: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    ann, bob, _ = people
    clock.freeze(dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    make_schedule([ann, bob], unit="days")
    assert _run(django_capture_on_commit_callbacks) == sorted(
        [*FIRST_SHIFTS, ("ann@msp.example", "You are now on call: NOC")]
    )
    # The engine was down for three days: Ann is told she is off, Ann (again on call on day 3)
    # is not told twice, and only the current shift is announced.
    clock.freeze(dt.datetime(2026, 1, 8, 10, tzinfo=UTC))
    assert _run(django_capture_on_commit_callbacks) == [
        ("ann@msp.example", "You are off call: NOC"),
        ("bob@msp.example", "You are now on call: NOC"),
    ]


def test_a_change_tells_the_affected_people_their_new_shifts(
    people: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    ann, bob, cat = people
    clock.freeze(dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    schedule = make_schedule([ann, bob], unit="days")
    _run(django_capture_on_commit_callbacks)
    override_create(
        actor="test", schedule=schedule, user=cat, replaces=bob,
        starts_at=dt.datetime(2026, 1, 6, 9, tzinfo=UTC), ends_at=dt.datetime(2026, 1, 7, 9, tzinfo=UTC),
    )  # fmt: skip
    told = _run(django_capture_on_commit_callbacks)
    assert told == [
        ("bob@msp.example", "Your on-call shifts changed: NOC"),
        ("cat@msp.example", "Your on-call shifts changed: NOC"),
    ]
    cat_mail = next(m for m in mail.outbox if m.to == ["cat@msp.example"])
    assert "Tue 06 Jan 09:00 UTC to Wed 07 Jan 09:00 UTC" in cat_mail.body
    # Ann's shifts did not change: she was told only of her first shifts and of going on call.
    assert sorted(n.subject for n in Notice.objects.filter(user=ann)) == [
        "You are now on call: NOC",
        "Your on-call shifts changed: NOC",
    ]
