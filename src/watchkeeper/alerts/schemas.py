"""API schemas for integrations and alerts (one in, one out per operation)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from watchkeeper.alerts import selectors
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.sources.registry import KINDS
from watchkeeper.core.schemas import Count, DateTime, Id, InputSchema
from watchkeeper.tenancy.schemas import IntegrationRef, ServiceRef

CONFIG_LIMIT = 32 * 1024  # characters of JSON: templates and rules, not payloads
CONFIG_DEPTH = 6


class IncidentRef(Schema):
    id: int
    number: int
    reference: str = Field(description="The human reference, e.g. ACME-42")


class IntegrationOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    type: str
    default_service: ServiceRef
    is_enabled: bool
    group_window_minutes: int
    rate_limit_per_second: int
    heartbeat_interval_seconds: int
    heartbeat_grace_seconds: int
    last_event_at: dt.datetime | None
    created_at: dt.datetime


class IntegrationDetailOut(IntegrationOut):
    config: dict[str, Any]
    key: str | None = Field(
        None, description="The secret key; null unless you may manage the integration (write scope)"
    )
    previous_key: str | None = Field(None, description="The key before the last rotation, while it works")
    previous_key_expires_at: dt.datetime | None

    @staticmethod
    def resolve_key(obj: Integration, context: dict[str, Any]) -> str | None:
        actor = context["request"].auth
        return obj.key if selectors.integration_key_visible(actor=actor, integration=obj) else None

    @staticmethod
    def resolve_previous_key(obj: Integration, context: dict[str, Any]) -> str | None:
        actor = context["request"].auth
        if not selectors.integration_key_visible(actor=actor, integration=obj):
            return None
        return selectors.integration_previous_key(integration=obj)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


def config_check(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The shape every integration's settings share: a small, shallow JSON object. What each
    key means is the format's business, checked where the format reads it."""
    if value is None:
        return None
    if len(json.dumps(value)) > CONFIG_LIMIT:
        raise ValueError(f"config is larger than {CONFIG_LIMIT // 1024} KB of JSON; keep templates short")
    if _depth(value) > CONFIG_DEPTH:
        raise ValueError(f"config nests deeper than {CONFIG_DEPTH} levels")
    return value


class IntegrationCreateIn(InputSchema):
    client: str = Field(description="Slug of the client the integration feeds")
    type: str = Field(description=f"{', '.join(KINDS[:-1])} or {KINDS[-1]}")
    name: str = Field(min_length=1, max_length=150)
    service_id: Id | None = Field(None, description="Default service; empty: the client's first service")
    config: dict[str, Any] | None = None

    @field_validator("config")
    @classmethod
    def check_config(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return config_check(value)


class IntegrationUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    is_enabled: bool | None = None
    default_service_id: Id | None = None
    group_window_minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)
    rate_limit_per_second: int | None = Field(None, ge=0, le=100_000)
    heartbeat_interval_seconds: int | None = Field(None, ge=10, le=31 * 24 * 3600)
    heartbeat_grace_seconds: int | None = Field(None, ge=0, le=7 * 24 * 3600)
    config: dict[str, Any] | None = None

    @field_validator("config")
    @classmethod
    def check_config(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return config_check(value)


class AlertOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    dedup_key: str
    status: str
    summary: str
    severity: str
    source: str
    component: str
    group: str
    alert_class: str
    occurrence_count: int
    suppressed: bool
    suppressed_reason: str
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    service: ServiceRef
    integration: IntegrationRef
    incident: IncidentRef | None


class AlertDetailOut(AlertOut):
    group_key: str
    labels: dict[str, Any]
    details: dict[str, Any]
    links: list[Any]
    images: list[Any]
    tags: list[Any]
    impact: str
    urgency: str
    category: str
    raw: dict[str, Any]

    @staticmethod
    def resolve_raw(obj: Alert) -> Any:
        return selectors.alert_payload_shown(alert=obj, value=obj.raw)

    @staticmethod
    def resolve_details(obj: Alert) -> Any:
        return selectors.alert_payload_shown(alert=obj, value=obj.details)


class EventRuleOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    position: int = Field(description="Rules of a client apply in ascending position")
    is_enabled: bool
    integration: IntegrationRef | None = Field(None, description="Only events of this integration; null: all")
    conditions: list[dict[str, Any]] = Field(description="All must hold: {field, op, value, negate}")
    actions: dict[str, Any]
    dropped_count: int
    last_dropped_at: dt.datetime | None
    updated_at: dt.datetime


class EventRuleCreateIn(InputSchema):
    client: str = Field(description="Slug of the client whose events the rule shapes")
    name: str = Field(min_length=1, max_length=150)
    conditions: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    actions: dict[str, Any]
    integration_id: Id | None = None
    position: Count | None = Field(None, description="Empty: after the client's last rule")
    is_enabled: bool = True


class EventRuleUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    conditions: list[dict[str, Any]] | None = Field(None, max_length=50)
    actions: dict[str, Any] | None = None
    integration_id: Id | None = None
    is_enabled: bool | None = None


class EventRuleOrderIn(InputSchema):
    client: str
    rule_ids: list[Id] = Field(
        max_length=1000, description="Every rule of the client, once, in the new order"
    )


class EventRuleTryIn(InputSchema):
    client: str
    integration_id: Id | None = None
    event: dict[str, Any] = Field(
        description="Alert fields: summary, source, severity, component, group, class, labels, details, "
        "service_name"
    )


class EventRuleTryOut(Schema):
    matched: list[str]
    drop: bool
    suppressed: bool
    reason: str
    service: str | None
    severity: str
    impact: str
    urgency: str
    category: str
    tags: list[str]


class MaintenanceWindowOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    service: ServiceRef | None = Field(None, description="null: the whole client")
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    recurrence: str = Field(description='An RFC 5545 RRULE, e.g. "FREQ=WEEKLY;BYDAY=SU"; empty: one-off')
    reason: str


class MaintenanceWindowCreateIn(InputSchema):
    client: str
    name: str = Field(min_length=1, max_length=150)
    starts_at: DateTime
    ends_at: DateTime
    timezone: str | None = Field(None, description="Empty: the client's time zone")
    recurrence: str = ""
    service_id: Id | None = None
    reason: str = ""


class MaintenanceWindowUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    starts_at: DateTime | None = None
    ends_at: DateTime | None = None
    timezone: str | None = None
    recurrence: str | None = None
    service_id: Id | None = None
    reason: str | None = None
