"""The DB-facing reads: the paging interface, next, per user, gaps, and query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.oncall import selectors
from watchkeeper.oncall.models import Schedule
from watchkeeper.oncall.services import override_create

UTC = dt.UTC


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def people(db: Any) -> list[Any]:
    return [
        UserFactory(full_name=name, email=f"{name.lower()}@msp.example") for name in ("Ann", "Bob", "Cat")
    ]


def test_schedule_oncall_users_follows_the_rotation_and_overrides(people: list[Any]) -> None:
    ann, bob, cat = people
    schedule = make_schedule([ann, bob])
    fresh = lambda: selectors.schedule_access(actor=UserFactory(role=Role.OWNER), pk=schedule.pk)  # noqa: E731
    assert selectors.schedule_oncall_users(schedule=fresh(), at=_at(2026, 1, 5, 9)) == [ann]
    assert selectors.schedule_oncall_users(schedule=fresh(), at=_at(2026, 1, 12, 8, 59)) == [ann]
    assert selectors.schedule_oncall_users(schedule=fresh(), at=_at(2026, 1, 12, 9)) == [bob]
    assert selectors.schedule_oncall_users(schedule=fresh(), at=_at(2026, 1, 1)) == []  # before the start
    override_create(actor="test", schedule=schedule, user=cat, replaces=bob,
                    starts_at=_at(2026, 1, 13), ends_at=_at(2026, 1, 14))  # fmt: skip
    assert selectors.schedule_oncall_users(schedule=fresh(), at=_at(2026, 1, 13, 12)) == [cat]
    assert selectors.schedule_oncall_users(schedule=fresh(), at=_at(2026, 1, 14, 12)) == [bob]


def test_now_and_next_and_per_user(people: list[Any]) -> None:
    ann, bob, _ = people
    schedule = make_schedule([ann, bob], unit="days")
    (status,) = selectors.oncall_status(schedules=[schedule], at=_at(2026, 1, 5, 12))
    assert [s.user for s in status.now] == [ann] and status.now[0].end == _at(2026, 1, 6, 9)
    assert status.next is not None and status.next.user == bob and status.next.start == _at(2026, 1, 6, 9)
    mine = selectors.oncall_now_for_user(user=bob, at=_at(2026, 1, 6, 10))
    assert [(s.schedule.pk, s.start) for s in mine] == [(schedule.pk, _at(2026, 1, 6, 9))]
    assert selectors.oncall_now_for_user(user=ann, at=_at(2026, 1, 6, 10)) == []


def test_gaps_of_a_schedule_with_a_late_start(people: list[Any]) -> None:
    schedule = make_schedule(people[:1], starts_on=dt.date(2026, 1, 7))
    assert selectors.schedule_gaps(schedule=schedule, start=_at(2026, 1, 5), end=_at(2026, 1, 8)) == [
        (_at(2026, 1, 5), _at(2026, 1, 7, 9))
    ]


def test_the_overview_costs_a_fixed_number_of_queries(people: list[Any]) -> None:
    owner = UserFactory(role=Role.OWNER)
    clock.freeze(_at(2026, 2, 1))
    make_schedule(people[:2], name="One")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            statuses = selectors.oncall_overview(actor=owner, at=clock.now())
        assert statuses
        return len(queries)

    few = count()
    for n in range(5):
        make_schedule(people, name=f"More {n}")
    assert count() == few


def test_now_shows_the_whole_shift_of_a_long_rotation(people: list[Any]) -> None:
    schedule = make_schedule(people[:2])  # weekly, Mondays 09:00 UTC
    (status,) = selectors.oncall_status(schedules=[schedule], at=_at(2026, 1, 10, 12))  # a Saturday
    (shift,) = status.now
    assert (shift.user, shift.start, shift.end) == (people[0], _at(2026, 1, 5, 9), _at(2026, 1, 12, 9))
    assert status.next is not None and (status.next.start, status.next.end) == (
        _at(2026, 1, 12, 9),
        _at(2026, 1, 19, 9),
    )


def test_the_paging_interface_takes_a_plain_schedule(people: list[Any]) -> None:
    make_schedule(people[:2], unit="days")
    plain = Schedule.objects.get()  # as paging holds it: no prefetching
    assert selectors.schedule_oncall_users(schedule=plain, at=_at(2026, 1, 6, 10)) == [people[1]]
    with pytest.raises(ValueError, match="timezone-aware"):
        selectors.schedule_oncall_users(schedule=plain, at=dt.datetime(2026, 1, 6, 10))  # noqa: DTZ001
