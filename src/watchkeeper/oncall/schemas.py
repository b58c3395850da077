"""API schemas for schedules, their layers and overrides, and who is on call."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.schemas import Date, DateTime, Id, InputSchema, LocalTime
from watchkeeper.oncall.models import Layer, Override, Schedule


class UserRef(Schema):
    id: int
    full_name: str
    email: str


class ClientRef(Schema):
    slug: str
    name: str


class WindowIn(InputSchema):
    start: str = Field(description="Local time HH:MM")
    end: str = Field(description="Local time HH:MM; at or before start: the next day (week)")
    start_day: int | None = Field(
        None, ge=1, le=7, description="Weekly restrictions: ISO weekday, 1 = Monday"
    )
    end_day: int | None = Field(None, ge=1, le=7)


class LayerIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    priority: int = Field(0, ge=0, le=100, description="Higher layers win where they have someone")
    time_zone: str = Field("", max_length=64, description="Empty: the schedule's time zone")
    starts_on: Date = Field(description="Local date of the first hand-off")
    handoff_time: LocalTime = Field(description="Local wall-clock time of every hand-off")
    shift_length: int = Field(1, ge=1, le=1000)
    shift_unit: str = Field("weeks", description="hours, days or weeks")
    restriction: str = Field("none", description="none, daily or weekly")
    restrictions: list[WindowIn] = Field(default_factory=list, max_length=14)
    members: list[Id] = Field(description="User ids in rotation order", max_length=100)


class LayerOut(Schema):
    id: int
    name: str
    priority: int
    time_zone: str
    starts_on: dt.date
    handoff_time: LocalTime
    shift_length: int
    shift_unit: str
    restriction: str
    restrictions: list[dict[str, object]]
    members: list[UserRef]

    @staticmethod
    def resolve_members(obj: Layer) -> list[User]:
        return [member.user for member in obj.members.all()]


class OverrideIn(InputSchema):
    user_id: Id = Field(description="Who covers")
    replaces_id: Id | None = Field(None, description="Whom they cover; empty: whoever is on call")
    starts_at: DateTime
    ends_at: DateTime
    note: str = Field("", max_length=200)


class OverrideOut(Schema):
    id: int
    user: UserRef
    replaces: UserRef | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str


class ScheduleOut(Schema):
    id: int
    name: str
    description: str
    time_zone: str
    client: ClientRef | None = Field(description="Empty: MSP-wide")
    team: str | None = Field(alias="team.slug", default=None)


class ScheduleDetailOut(ScheduleOut):
    layers: list[LayerOut]
    overrides: list[OverrideOut] = Field(description="Overrides that have not ended yet")

    @staticmethod
    def resolve_overrides(obj: Schedule) -> list[Override]:
        now = clock.now()
        return sorted((o for o in obj.overrides.all() if o.ends_at > now), key=lambda o: o.starts_at)


class ScheduleIn(InputSchema):
    name: str = Field(min_length=1, max_length=150)
    description: str = Field("", max_length=5000)
    time_zone: str = Field("UTC", max_length=64)
    client: str | None = Field(None, description="Slug of the client this schedule is dedicated to")
    team: str | None = Field(None, description="Slug of the team")
    layers: list[LayerIn] = Field(default_factory=list, max_length=20)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=100)


class ScheduleUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    description: str | None = Field(None, max_length=5000)
    time_zone: str | None = Field(None, max_length=64)
    layers: list[LayerIn] | None = Field(None, max_length=20, description="Replaces every layer")


class ScheduleRef(Schema):
    id: int
    name: str


class ShiftOut(Schema):
    schedule: ScheduleRef
    user: UserRef
    start: dt.datetime
    end: dt.datetime


class OncallOut(Schema):
    schedule: ScheduleOut
    at: dt.datetime
    oncall: list[ShiftOut] = Field(description="Who is on call at `at`, with their whole shift")
    next: ShiftOut | None = Field(description="The next shift to begin after them")
