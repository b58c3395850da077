"""Writing timers: one upsert per call, whatever state the timer was in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.core.timers import timer_set, timer_set_many

pytestmark = pytest.mark.django_db


def test_set_many_creates_and_reschedules_in_one_statement() -> None:
    now = clock.now()
    timer_set(kind="sla.incident", key="7", due_at=now + dt.timedelta(hours=1), payload={"old": True})
    Timer.objects.filter(kind="sla.incident").update(
        state=TimerState.FAILED, attempts=8, last_error="boom", done_at=now
    )
    with CaptureQueriesContext(connection) as queries:
        timer_set_many(timers=[("paging.incident", "7"), ("sla.incident", "7")], due_at=now)
    assert len(queries) == 1
    paging, sla = Timer.objects.order_by("kind")
    assert (paging.kind, paging.version, paging.state, paging.due_at) == (
        "paging.incident",
        1,
        "pending",
        now,
    )
    assert (sla.version, sla.state, sla.attempts, sla.last_error, sla.done_at) == (2, "pending", 0, "", None)
    assert (sla.due_at, sla.payload) == (now, {})


def test_set_needs_an_aware_due_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        timer_set(kind="x", key="1", due_at=dt.datetime(2027, 1, 1))  # noqa: DTZ001
