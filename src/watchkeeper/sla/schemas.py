"""API schemas for business calendars, SLA policies, clocks, breaches and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from watchkeeper.core.schemas import Date, InputSchema, Int


class ClosureOut(Schema):
    date: dt.date
    name: str
    source: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    hours: dict[str, list[list[str]]]
    country: str
    region: str
    public_holidays: bool
    is_default: bool
    closures: list[ClosureOut]

    @staticmethod
    def resolve_closures(obj: Any) -> list[Any]:
        return list(obj.closures.all())


class CalendarIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    time_zone: str = Field("", max_length=64)
    hours: dict[str, list[list[str]]] = Field(default_factory=dict)
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=10)
    public_holidays: bool = True
    is_default: bool = False


class CalendarUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    time_zone: str | None = Field(None, max_length=64)
    hours: dict[str, list[list[str]]] | None = None
    country: str | None = Field(None, max_length=2)
    region: str | None = Field(None, max_length=10)
    public_holidays: bool | None = None
    is_default: bool | None = None


class ClosuresIn(InputSchema):
    days: list[Date] = Field(min_length=1, max_length=1000)
    name: str = Field("", max_length=200)


class IcalIn(InputSchema):
    ical: str = Field(min_length=1, max_length=1_000_000, description="The text of an .ics file")


class ClosuresAddedOut(Schema):
    added: int


class CalendarAssignIn(InputSchema):
    client: str = Field(description="The client's slug")


class SlaTargetIn(InputSchema):
    priority: str = Field(max_length=10)
    response_minutes: int = Field(ge=1, le=525_600)
    update_minutes: int | None = Field(None, ge=1, le=525_600)
    resolution_minutes: int = Field(ge=1, le=525_600)
    around_the_clock: bool = False


class SlaTargetOut(Schema):
    priority: str
    response_minutes: int
    update_minutes: int | None
    resolution_minutes: int
    around_the_clock: bool


class SlaPolicyOut(Schema):
    id: int
    name: str
    tier: str
    client: str | None
    client_name: str | None
    warning_thresholds: list[int]
    pause_statuses: list[str]
    response_by_reply: bool
    targets: list[SlaTargetOut]

    @staticmethod
    def resolve_client(obj: Any) -> str | None:
        return obj.client.slug if obj.client_id else None

    @staticmethod
    def resolve_client_name(obj: Any) -> str | None:
        return obj.client.name if obj.client_id else None

    @staticmethod
    def resolve_targets(obj: Any) -> list[Any]:
        return list(obj.targets.all())


class SlaPolicyIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    tier: str | None = Field(None, description="essential, standard or premium: the tier's default")
    client: str | None = Field(None, description="A client's slug: an override for that client")
    warning_thresholds: list[Int] = Field(default_factory=lambda: [50, 75, 90])
    pause_statuses: list[str] = Field(default_factory=lambda: ["waiting_client", "waiting_vendor"])
    response_by_reply: bool = True
    targets: list[SlaTargetIn] = Field(default_factory=list, max_length=20)


class SlaPolicyUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    warning_thresholds: list[Int] | None = None
    pause_statuses: list[str] | None = None
    response_by_reply: bool | None = None
    targets: list[SlaTargetIn] | None = Field(None, max_length=20)


class ClockOut(Schema):
    kind: str
    state: str
    priority: str
    target_minutes: int
    started_at: dt.datetime
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    elapsed_seconds: int


class BreachOut(Schema):
    id: int
    incident: int = Field(alias="incident_id")
    reference: str
    kind: str
    cycle: int
    priority: str
    target_minutes: int
    due_at: dt.datetime
    breached_at: dt.datetime
    reason: str
    reason_at: dt.datetime | None

    @staticmethod
    def resolve_reference(obj: Any) -> str:
        return str(obj.incident.reference)


class BreachReasonIn(InputSchema):
    reason: str = Field(min_length=1, max_length=5000)
