"""API schemas of paging (one in, one out per operation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from watchkeeper.core.schemas import INT_MAX, Id, InputSchema
from watchkeeper.mail.backend import server_paths_hidden


class TargetIn(InputSchema):
    kind: str = Field(description="user, schedule, team (everyone) or team_round_robin")
    id: Id = Field(description="The user's, schedule's or team's id")


class LevelIn(InputSchema):
    delay_minutes: int = Field(
        15, ge=0, le=1440, description="Minutes without acknowledgement before the next level"
    )
    targets: list[TargetIn]


class EscalationPolicyIn(InputSchema):
    name: str = Field(max_length=150)
    description: str = ""
    client: str | None = Field(None, description="A client's slug; empty: an MSP-wide policy")
    is_default: bool = Field(False, description="The client's default (or, MSP-wide, the NOC default)")
    repeat: int = Field(0, ge=0, le=10, description="How many more times to run all levels")
    levels: list[LevelIn]


class TargetOut(Schema):
    kind: str
    user_id: int | None
    schedule_id: int | None
    team_id: int | None


class LevelOut(Schema):
    position: int
    delay_minutes: int
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(obj: object) -> list[object]:
        return list(obj.targets.all())  # type: ignore[attr-defined]


class EscalationPolicyOut(Schema):
    id: int
    name: str
    description: str
    client: str | None = Field(None, alias="client.slug")
    is_default: bool
    repeat: int
    levels: list[LevelOut]

    @staticmethod
    def resolve_levels(obj: object) -> list[object]:
        return list(obj.levels.all())  # type: ignore[attr-defined]


class PolicyWriteOut(EscalationPolicyOut):
    warnings: list[str] = Field(
        default_factory=list,
        description="Targets naming people who cannot work on the policy's client (MSP-wide: on "
        "every client); they are skipped when paged. Saved anyway: a team or schedule serves many clients.",
    )


class ServicePolicyIn(InputSchema):
    policy: Id | None = Field(None, description="A policy id; null: use the client's or the MSP default")


class ServicePolicyOut(Schema):
    service_id: int
    service_name: str
    policy_id: int | None = Field(description="The policy that pages for this service now")
    source: str = Field(description="service, client default, MSP default or none")


class ContactMethodIn(InputSchema):
    kind: str = Field(description="email, sms, voice, push, slack, teams, telegram, webhook or other")
    label: str = Field("", max_length=100)
    address: str = Field(
        max_length=2000, description="An e-mail address, or an Apprise URL for the other kinds"
    )
    throttle_per_15_minutes: int | None = Field(
        None, ge=0, le=100, description="Default: 3 for SMS and voice"
    )


class ContactMethodOut(Schema):
    id: int
    kind: str
    label: str
    address_hint: str = Field(description="A recognisable, non-secret part of the address")
    throttle_per_15_minutes: int
    is_enabled: bool


class RuleIn(InputSchema):
    contact_method: Id
    delay_minutes: int = Field(0, ge=0, le=1440)
    urgency: str = Field("high", description="high or low")


class RuleOut(Schema):
    id: int
    contact_method: int = Field(alias="contact_method_id")
    contact_method_label: str = Field(alias="contact_method.label")
    delay_minutes: int
    urgency: str


class MessageOut(Schema):
    id: int
    purpose: str
    subject: str
    state: str
    contact_method: int | None = Field(alias="contact_method_id")
    incident: int | None = Field(alias="incident_id")
    created_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    provider_response: str

    @staticmethod
    def resolve_provider_response(message: Any) -> str:
        return server_paths_hidden(message.provider_response)


class EscalateIn(InputSchema):
    level: int = Field(ge=1, le=INT_MAX, description="1 is the first level")


class ReassignIn(InputSchema):
    user: Id


class EscalationOut(Schema):
    incident_id: int
    incident_reference: str
    client: str = Field(description="The client's name")
    policy_id: int | None
    state: str
    level: int = Field(description="0-based index of the current level")
    loop: int
    run: int
    next_step_at: dt.datetime | None
