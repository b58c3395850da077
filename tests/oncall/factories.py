"""Schedules for tests: a schedule with one weekly (or daily) rotation layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from watchkeeper.accounts.models import User
from watchkeeper.oncall.models import Schedule
from watchkeeper.oncall.services import layer_save, override_create, schedule_create


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


def victim_schedule(tenant: Any) -> Schedule:
    """The isolation matrix's schedule dedicated to `tenant`'s client (get or create): named
    after the client, its technician on call, one override by that technician."""
    existing = Schedule.objects.filter(client=tenant.client).first()
    if existing is not None:
        return existing
    schedule = make_schedule(
        [tenant.technician], name=f"{tenant.client.name} on-call", client=tenant.client,
        starts_on=dt.date(2020, 1, 6),
    )  # fmt: skip
    override_create(
        actor="test", schedule=schedule, user=tenant.technician,
        starts_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), ends_at=dt.datetime(2030, 1, 2, tzinfo=dt.UTC),
        note=f"Covering for {tenant.client.name}",
    )  # fmt: skip
    return schedule
