"""Issue 12.5: one client's maintenance recurrence cannot slow the engine or grow its memory."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

import pytest
from dateutil.rrule import rrulestr

from tests.security.conftest import CYCLE_BUDGET, one_batch, trigger
from watchkeeper.alerts.maintenance import window_active
from watchkeeper.alerts.models import Alert, MaintenanceWindow
from watchkeeper.alerts.recurrence import recurrence_parse, recurrence_rules
from watchkeeper.alerts.rules import cache_clear
from watchkeeper.alerts.services.rules import maintenance_window_create
from watchkeeper.core import clock

UTC = dt.UTC
# Every second of every hour: the frequency check used to be a substring match and let it in.
EVERY_SECOND = "FREQ=HOURLY;BYSECOND=" + ",".join(str(n) for n in range(60))


@pytest.fixture(autouse=True)
def _fresh_rules() -> None:
    cache_clear()


def _old_window(world: Any, recurrence: str, name: str) -> MaintenanceWindow:
    """A window of client A first valid in 2020, written around the services (as before the
    checks existed), so the engine meets it as it is."""
    return MaintenanceWindow.objects.create(
        client=world.a.client, name=name, timezone="Europe/London", recurrence=recurrence,
        starts_at=dt.datetime(2020, 1, 6, 2, tzinfo=UTC), ends_at=dt.datetime(2020, 1, 6, 3, tzinfo=UTC),
    )  # fmt: skip


@pytest.mark.django_db
def test_old_and_hostile_windows_of_client_a_do_not_delay_client_b(world: Any) -> None:
    _old_window(world, EVERY_SECOND, "Every second")
    _old_window(world, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "Never")  # dateutil would search to 9999
    maintenance_window_create(
        actor=world.owner, client=world.a.client, name="Weeknights since 2020", timezone="Europe/London",
        starts_at=dt.datetime(2020, 1, 6, 2, tzinfo=UTC), ends_at=dt.datetime(2020, 1, 6, 3, tzinfo=UTC),
        recurrence="FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    )  # fmt: skip
    clock.freeze(dt.datetime(2027, 6, 8, 1, 30, tzinfo=UTC))  # a Tuesday, 02:30 in London (BST)
    took = one_batch(
        (world.a.integration, trigger(world.a.integration, "a/1", "Disk full")),
        (world.b.integration, trigger(world.b.integration, "b/1", "Disk full")),
    )
    assert took < CYCLE_BUDGET
    assert Alert.objects.get(client=world.a.client, dedup_key="a/1").suppressed  # the valid window holds
    assert not Alert.objects.get(client=world.b.client, dedup_key="b/1").suppressed


@pytest.mark.django_db
def test_evaluation_cost_does_not_grow_with_the_windows_age(world: Any) -> None:
    window = _old_window(world, "FREQ=DAILY", "Nightly")
    instants = [dt.datetime(2020, 1, 7, tzinfo=UTC) + dt.timedelta(hours=7 * n) for n in range(400)]
    started = time.perf_counter()
    for at in instants:
        window_active(window, at)
    young = time.perf_counter() - started
    started = time.perf_counter()
    for at in instants:
        window_active(window, at + dt.timedelta(days=15 * 365))
    old = time.perf_counter() - started
    assert old < max(3 * young, 0.2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recurrence", "message"),
    [
        (EVERY_SECOND, "repeats at most daily"),
        ("FREQ=MINUTELY", "repeats at most daily"),
        ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12", "BYHOUR is not allowed"),
        ("FREQ=WEEKLY;BYMINUTE=0,30", "BYMINUTE is not allowed"),
        ("FREQ=DAILY;BYYEARDAY=1", "BYYEARDAY is not allowed with FREQ=DAILY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "would never repeat"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=SU", "would never repeat"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "BYSETPOS values must be"),
        ("FREQ=DAILY;COUNT=100000", "COUNT must be a whole number from 1 to 1000"),
        ("FREQ=DAILY\nRRULE:FREQ=WEEKLY", "one RRULE"),
    ],
)
def test_refused_at_save_through_the_api(world: Any, api_as: Any, recurrence: str, message: str) -> None:
    response = api_as(world.a.technician).post(
        "/api/v1/maintenance-windows",
        {
            "client": world.a.client.slug, "name": "Patching", "starts_at": "2027-03-01T02:00+00:00",
            "ends_at": "2027-03-01T04:00+00:00", "timezone": "UTC", "recurrence": recurrence,
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not MaintenanceWindow.objects.exists()


RULES = [
    "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,WE,FR;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=WEEKLY;BYDAY=SU,TU;INTERVAL=3;WKST=SU", "FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=1SA", "FREQ=MONTHLY;BYDAY=-1SU;INTERVAL=5",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=YEARLY", "FREQ=YEARLY;BYMONTH=3,9;BYDAY=2TU",
    "FREQ=YEARLY;INTERVAL=2;BYMONTHDAY=15", "FREQ=WEEKLY;UNTIL=20300101T000000",
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES)
def test_evaluating_from_a_recent_anchor_finds_the_same_occurrences(rule: str) -> None:
    shuffle = random.Random(rule)
    for start in (
        # Naive local wall-clock times: the rules run on the window's wall clock.
        dt.datetime(2020, 1, 31, 2),  # noqa: DTZ001
        dt.datetime(2020, 2, 29, 23, 30),  # noqa: DTZ001
        dt.datetime(2019, 12, 30, 0, 15),  # noqa: DTZ001
    ):
        from_start = rrulestr(rule, dtstart=start)
        parsed = recurrence_parse(rule)
        for _ in range(25):
            low = start + dt.timedelta(days=shuffle.uniform(-20, 3000))
            high = low + dt.timedelta(days=shuffle.uniform(0, 40))
            anchored = recurrence_rules(parsed, start, low)
            assert anchored.between(low, high, inc=True) == from_start.between(low, high, inc=True)
            assert anchored.after(high) == from_start.after(high)
