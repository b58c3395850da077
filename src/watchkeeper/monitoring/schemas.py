"""API schemas for monitors and each client's monitoring networks (one in, one out per operation)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from watchkeeper.core.schemas import Id, InputSchema
from watchkeeper.monitoring import selectors
from watchkeeper.monitoring.models import Monitor, MonitorKind
from watchkeeper.tenancy.schemas import ServiceRef

SETTINGS_LIMIT = 16 * 1024  # characters of JSON (a CA certificate fits; a payload does not)
_KINDS = ", ".join(MonitorKind.values)


def _settings_size(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value)) > SETTINGS_LIMIT:
        raise ValueError(f"settings are longer than {SETTINGS_LIMIT} characters of JSON")
    return value


class MonitorRef(Schema):
    id: int
    name: str


class MonitorOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    kind: str
    target: str
    service: ServiceRef
    parent: MonitorRef | None
    is_enabled: bool
    interval_seconds: int
    timeout_seconds: int
    retries: int
    recovery_threshold: int
    state: str = Field(description="pending, up or down")
    state_since: dt.datetime
    overdue: bool = Field(description="The check did not run on time: is a `watchkeeper monitor` running?")
    suppressed_reason: str = Field(description="Why a down monitor raised no alert (its parent is down)")
    last_checked_at: dt.datetime | None
    last_ok: bool | None
    last_response_ms: int | None
    last_message: str
    next_run_at: dt.datetime
    created_at: dt.datetime

    @staticmethod
    def resolve_overdue(obj: Monitor) -> bool:
        return selectors.is_overdue(obj)


class MonitorDetailOut(MonitorOut):
    settings: dict[str, Any]
    conditions: list[str]
    uptime_24h: float | None = Field(description="Percent of checks up in the last 24 hours")
    uptime_30d: float | None

    @staticmethod
    def resolve_uptime_24h(obj: Monitor) -> float | None:
        return selectors.uptime(monitor=obj, span=dt.timedelta(hours=24))

    @staticmethod
    def resolve_uptime_30d(obj: Monitor) -> float | None:
        return selectors.uptime(monitor=obj, span=dt.timedelta(days=30))


class MonitorCreateIn(InputSchema):
    client: str = Field(description="Slug of the client the monitor belongs to")
    service_id: Id = Field(description="The client's service whose alerts and incidents it raises")
    name: str = Field(min_length=1, max_length=150)
    kind: str = Field(description=_KINDS)
    target: str = Field(
        min_length=1, max_length=1000, description="URL (http), host:port (tcp, tls, smtp), host (dns, ping)"
    )
    settings: dict[str, Any] | None = None
    conditions: list[str] | None = Field(
        None, description="Gatus-style, e.g. [STATUS] == 200, [RESPONSE_TIME] < 300"
    )
    interval_seconds: int = Field(60, ge=10, le=86_400)
    timeout_seconds: int = Field(10, ge=1, le=60)
    retries: int = Field(1, ge=0, le=20, description="Failures in a row tolerated before down")
    recovery_threshold: int = Field(1, ge=1, le=20, description="Successes in a row before up again")
    parent_id: Id | None = Field(None, description="A monitor of the same client this one depends on")
    is_enabled: bool = True

    @field_validator("settings")
    @classmethod
    def check_settings(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _settings_size(value)


class MonitorUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    target: str | None = Field(None, min_length=1, max_length=1000)
    service_id: Id | None = None
    settings: dict[str, Any] | None = None
    conditions: list[str] | None = None
    interval_seconds: int | None = Field(None, ge=10, le=86_400)
    timeout_seconds: int | None = Field(None, ge=1, le=60)
    retries: int | None = Field(None, ge=0, le=20)
    recovery_threshold: int | None = Field(None, ge=1, le=20)
    parent_id: Id | None = None
    is_enabled: bool | None = None

    @field_validator("settings")
    @classmethod
    def check_settings(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _settings_size(value)


class ResultOut(Schema):
    checked_at: dt.datetime
    ok: bool
    response_ms: int | None
    message: str
    lag_ms: int


class PointOut(Schema):
    at: dt.datetime
    checks: int
    failures: int
    ms_avg: int | None
    ms_p95: int | None


class TestOut(Schema):
    ok: bool
    response_ms: int | None
    message: str
    values: dict[str, Any] = Field(description="What the check saw: [STATUS], [BODY] (its start), …")


class ResultsOut(Schema):
    monitor: MonitorRef
    results: list[ResultOut] = Field(description="Newest first; page back with `before`")


class HistoryOut(Schema):
    monitor: MonitorRef
    range: str
    points: list[PointOut]


class NetworksOut(Schema):
    client: str = Field(description="The client's slug")
    client_name: str
    allowed_networks: list[str] = Field(description="Private networks the client's monitors may reach")


class NetworksIn(InputSchema):
    allowed_networks: list[str] = Field(max_length=50)


class ImportIn(InputSchema):
    client: str = Field(description="Slug of the client the monitors belong to")
    format: str = Field(description="yaml or csv")
    text: str = Field(max_length=1_000_000, description="The file's text (docs/monitoring.md#bulk-import)")


class ImportOut(Schema):
    created: list[MonitorRef]
