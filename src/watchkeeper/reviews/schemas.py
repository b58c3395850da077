"""API schemas for reviews, action items and the improvement reports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from watchkeeper.core import clock
from watchkeeper.core.schemas import Date, Id, InputSchema

ShortText = Annotated[str, Field(max_length=20_000)]
FactorKindIn = Literal["technical", "human", "process", "vendor"]
ActionKindIn = Literal["prevent", "mitigate", "detect", "process", "documentation"]
ActionStatusIn = Literal["open", "in_progress", "done", "cancelled"]


class FactorIn(InputSchema):
    kind: FactorKindIn
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class FactorOut(Schema):
    kind: str
    text: str


class ReviewOpenIn(InputSchema):
    incident_id: Id


class ReviewUpdateIn(InputSchema):
    summary: ShortText | None = None
    impact: ShortText | None = None
    root_cause: ShortText | None = None
    trigger: ShortText | None = None
    went_well: ShortText | None = None
    went_badly: ShortText | None = None
    lucky: ShortText | None = None
    detection: ShortText | None = None
    response: ShortText | None = None
    factors: Annotated[list[FactorIn], Field(max_length=50)] | None = None
    owner: Id | None = None
    participants: Annotated[list[Id], Field(max_length=50)] | None = None


class MarkIn(InputSchema):
    entry_id: Id
    starred: bool | None = None
    annotation: Annotated[str, Field(max_length=4000)] | None = None


class SummaryIn(InputSchema):
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


class ReviewOut(Schema):
    id: int
    incident: int = Field(alias="incident_id")
    reference: str
    title: str
    client: str
    priority: str
    status: str
    reasons: list[str]
    due_at: dt.datetime
    overdue: bool
    owner: int | None = Field(alias="owner_id")
    summary: str
    impact: str
    root_cause: str
    trigger: str
    went_well: str
    went_badly: str
    lucky: str
    detection: str
    response: str
    factors: list[FactorOut]
    completed_at: dt.datetime | None
    client_summary: str
    summary_state: str
    summary_published_at: dt.datetime | None

    @staticmethod
    def resolve_reference(obj: Any) -> str:
        return str(obj.incident.reference)

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.incident.title)

    @staticmethod
    def resolve_client(obj: Any) -> str:
        return str(obj.incident.client.slug)

    @staticmethod
    def resolve_priority(obj: Any) -> str:
        return str(obj.incident.priority)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.is_open and obj.due_at < clock.now())


class TimelineRowOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    text: str
    client_visible: bool
    starred: bool
    annotation: str


class GapOut(Schema):
    start: dt.datetime
    end: dt.datetime
    seconds: int
    over: bool
    label: str


class PageOut(Schema):
    person: str
    channels: list[str]
    count: int
    first_at: dt.datetime


class AlertFactOut(Schema):
    summary: str
    source: str
    integration: str
    severity: str
    first_seen_at: dt.datetime
    occurrences: int


class FactsOut(Schema):
    first_signal_at: dt.datetime | None
    time_to_detect_s: int | None
    time_to_acknowledge_s: int | None
    time_to_mitigate_s: int | None
    time_to_resolve_s: int | None
    pages_sent: int
    pages: list[PageOut]
    escalation_levels: int
    update_target_s: int | None
    client_updates: int
    update_gaps: list[GapOut]
    sla_outcome: str
    alerts: list[AlertFactOut]
    answers: list[tuple[str, str]]
    timeline: list[TimelineRowOut]


class ReviewDetailOut(ReviewOut):
    participants: list[int]
    facts: FactsOut  # set on the review by the API adapter: computed, never stored

    @staticmethod
    def resolve_participants(obj: Any) -> list[int]:
        return list(obj.participants.values_list("pk", flat=True))


class ActionItemIn(InputSchema):
    review_id: Id
    title: Annotated[str, Field(min_length=1, max_length=300)]
    kind: ActionKindIn
    owner: Id
    due_on: Date
    event_rule: Id | None = None
    link: Annotated[str, Field(max_length=500)] = ""
    note: Annotated[str, Field(max_length=4000)] = ""


class ActionItemUpdateIn(InputSchema):
    title: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    kind: ActionKindIn | None = None
    owner: Id | None = None
    due_on: Date | None = None
    status: ActionStatusIn | None = None
    event_rule: Id | None = None
    link: Annotated[str, Field(max_length=500)] | None = None
    note: Annotated[str, Field(max_length=4000)] | None = None


class ActionItemOut(Schema):
    id: int
    review: int = Field(alias="review_id")
    reference: str
    client: str
    client_name: str
    title: str
    kind: str
    owner: int = Field(alias="owner_id")
    due_on: dt.date
    status: str
    overdue: bool
    event_rule: int | None = Field(alias="event_rule_id")
    link: str
    note: str
    completed_at: dt.datetime | None

    @staticmethod
    def resolve_reference(obj: Any) -> str:
        return str(obj.review.incident.reference)

    @staticmethod
    def resolve_client(obj: Any) -> str:
        return str(obj.client.slug)

    @staticmethod
    def resolve_client_name(obj: Any) -> str:
        return str(obj.client.name)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.is_open and obj.due_on < clock.now().date())


class TimesOut(Schema):
    count: int
    mean_s: float | None
    median_s: float | None


class MetricRowOut(Schema):
    key: str
    incidents: int
    mtta: TimesOut
    mttr: TimesOut


class MetricsOut(Schema):
    start: dt.datetime
    end: dt.datetime
    group: str
    rows: list[MetricRowOut]
    total: MetricRowOut
    incidents_per_month: list[tuple[str, int]]
    sla_per_month: list[tuple[str, int, int]]
    priority_changes: list[tuple[str, str, int, int]]
    reviews: tuple[int, int, int]
    action_items: tuple[int, int, int]


class NoisyIntegrationOut(Schema):
    client: str
    integration: str
    type: str
    alerts: int


class NoisyRuleOut(Schema):
    client: str
    rule: str
    dropped: int = Field(description="events the rule dropped in the period")


class NoiseOut(Schema):
    start: dt.datetime
    end: dt.datetime
    alerts: int
    incidents: int
    alerts_per_incident: float | None
    never_acknowledged: int
    auto_resolved: int
    auto_minutes: int
    flapping: int
    integrations: list[NoisyIntegrationOut]
    rules: list[NoisyRuleOut]


class LoadOut(Schema):
    user: int
    person: str
    time_zone: str
    pages: int
    notifications: int
    interruptions: int
    business_hours: int
    off_hours: int
    sleep_hours: int
