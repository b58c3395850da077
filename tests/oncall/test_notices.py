"""What the hand-off timer does (`handoff_notify`) and which notices are still worth sending."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule
from watchkeeper.core import clock
from watchkeeper.core.models import Timer
from watchkeeper.oncall.models import Notice, Schedule
from watchkeeper.oncall.notices import RECHECK, handoff_notify
from watchkeeper.oncall.selectors import notice_to_deliver
from watchkeeper.oncall.timers import HANDOFF

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)


def _due(schedule_id: int) -> dt.datetime | None:
    timer = Timer.objects.filter(kind=HANDOFF, key=str(schedule_id)).first()
    return None if timer is None else timer.due_at


def test_the_timer_is_re_armed_for_the_next_handoff_but_never_beyond_a_day() -> None:
    clock.freeze(MONDAY)
    ann = UserFactory(email="ann@msp.example")
    daily = make_schedule([ann], unit="days")  # hand-offs at 09:00
    handoff_notify(schedule_id=daily.pk, now=MONDAY)
    assert _due(daily.pk) == MONDAY.replace(hour=9)
    later = make_schedule([ann], name="Later", starts_on=dt.date(2026, 2, 2))  # a month ahead
    handoff_notify(schedule_id=later.pk, now=MONDAY)
    assert _due(later.pk) == MONDAY + RECHECK


def test_a_deleted_schedule_tells_nobody_and_is_not_looked_at_again() -> None:
    clock.freeze(MONDAY)
    schedule = make_schedule([UserFactory()], unit="days")
    schedule_id = schedule.pk
    Timer.objects.filter(kind=HANDOFF).delete()
    Schedule.objects.filter(pk=schedule_id).delete()
    handoff_notify(schedule_id=schedule_id, now=MONDAY)
    assert _due(schedule_id) is None


def test_a_notice_of_a_deactivated_person_is_not_delivered(django_user_model: Any) -> None:
    clock.freeze(MONDAY)
    ann = UserFactory(email="ann@msp.example")
    make_schedule([ann], unit="days")  # tells Ann her first shifts
    notice = Notice.objects.get(user=ann)
    assert notice_to_deliver(notice_id=notice.pk) == notice
    django_user_model.objects.filter(pk=ann.pk).update(is_active=False)
    assert notice_to_deliver(notice_id=notice.pk) is None
    assert notice_to_deliver(notice_id=notice.pk + 1000) is None
