"""Schedules for tests: a schedule with one weekly (or daily) rotation layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from watchkeeper.accounts.models import User
from watchkeeper.oncall.models import Schedule
from watchkeeper.oncall.services import layer_save, schedule_create


def make_schedule(
    members: Sequence[User], *, name: str = "NOC", time_zone: str = "UTC", unit: str = "weeks",
    starts_on: dt.date = dt.date(2026, 1, 5), handoff: dt.time = dt.time(9), **schedule: Any,
) -> Schedule:  # fmt: skip
    created = schedule_create(actor="test", name=name, time_zone=time_zone, **schedule)
    layer_save(
        actor="test", schedule=created, members=members, name="Primary", starts_on=starts_on,
        handoff_time=handoff, shift_length=1, shift_unit=unit,
    )  # fmt: skip
    return created
