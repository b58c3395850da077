"""API schemas for communication policies, message templates, contact roles and client updates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from watchkeeper.core.schemas import DateTime, Id, InputSchema, Int


class CommsRuleOut(Schema):
    roles: list[str] = Field(default_factory=list, description="primary, technical, management, billing, "
                             "security; 'portal' for the client's portal users")  # fmt: skip
    events: list[str] = Field(default_factory=list, description="opened, update, waiting, resolved, review")
    cadence_minutes: int | None = Field(None, description="Empty: the SLA's client-update target")


class CommsRuleIn(InputSchema):
    roles: list[str] = Field(default_factory=list, max_length=10)
    events: list[str] = Field(default_factory=list, max_length=10)
    cadence_minutes: Int | None = None


class CommsPolicyOut(Schema):
    id: int
    client: str | None
    client_name: str | None
    rules: dict[str, CommsRuleOut]
    remind_before_minutes: int
    from_name: str
    reply_to: str
    is_active: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_client(obj: Any) -> str | None:
        return obj.client.slug if obj.client_id else None

    @staticmethod
    def resolve_client_name(obj: Any) -> str | None:
        return obj.client.name if obj.client_id else None


class CommsPolicyIn(InputSchema):
    client: str = Field("", description="A client's slug; empty for the MSP's default")
    rules: dict[str, CommsRuleIn] = Field(default_factory=dict)
    remind_before_minutes: int = Field(5, ge=1, le=1440)
    from_name: str = Field("", max_length=100)
    reply_to: str = Field("", max_length=254)
    is_active: bool = True


class CommsPolicyUpdateIn(InputSchema):
    rules: dict[str, CommsRuleIn] | None = None
    remind_before_minutes: int | None = Field(None, ge=1, le=1440)
    from_name: str | None = Field(None, max_length=100)
    reply_to: str | None = Field(None, max_length=254)
    is_active: bool | None = None


class MessageTemplateOut(Schema):
    id: int
    client: str | None
    kind: str
    subject: str
    body: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_client(obj: Any) -> str | None:
        return obj.client.slug if obj.client_id else None


class MessageTemplateIn(InputSchema):
    client: str = Field("", description="A client's slug; empty for the MSP's template")
    kind: str = Field(description="initial, update, waiting, resolved or summary")
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)


class MessageTemplateUpdateIn(InputSchema):
    subject: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, min_length=1, max_length=20_000)


class TemplatePreviewIn(InputSchema):
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)
    incident: Id | None = Field(None, description="A real incident's id; empty for a sample")


class TemplatePreviewOut(Schema):
    subject: str
    body: str


class ContactRolesIn(InputSchema):
    roles: list[str] = Field(max_length=10)


class ContactRolesOut(Schema):
    contact: int
    client: str
    name: str
    email: str
    roles: list[str]


class ClientUpdateSendIn(InputSchema):
    text: str = Field(min_length=1, max_length=10_000, description="What the client should know")
    impact: str = Field("", max_length=10_000, description="What is happening, in plain words")
    action: str = Field("", max_length=10_000, description="What is being done")
    eta: DateTime | None = Field(None, description="When it should be fixed")
    next_update_by: DateTime | None = Field(None, description="The next update is promised by")


class UpdateDeliveryOut(Schema):
    name: str
    address: str
    state: str
    attempts: int
    response: str
    sent_at: dt.datetime | None


class ClientUpdateOut(Schema):
    id: int
    incident: int
    kind: str
    subject: str
    body: str
    created_at: dt.datetime
    deliveries: list[UpdateDeliveryOut]

    @staticmethod
    def resolve_incident(obj: Any) -> int:
        return int(obj.incident_id)

    @staticmethod
    def resolve_deliveries(obj: Any) -> list[Any]:
        return list(obj.deliveries.all())


class UpdateRecipientOut(Schema):
    name: str
    address: str
    why: str
