"""API schemas for incidents and their actions (one in, one out per operation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from watchkeeper.core.schemas import Id, InputSchema
from watchkeeper.incidents import selectors
from watchkeeper.incidents.models import Incident, TimelineEntry
from watchkeeper.mail.backend import server_paths_hidden
from watchkeeper.tenancy.schemas import IntegrationRef, ServiceRef


class OwnerRef(Schema):
    id: int
    full_name: str
    email: str


class IncidentOut(Schema):
    id: int
    number: int
    reference: str = Field(description="The human reference, e.g. ACME-42")
    client: str = Field(alias="client.slug")
    title: str
    status: str
    priority: str
    impact: str
    urgency: str
    category: str
    service: ServiceRef
    owner: OwnerRef | None
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopened_count: int
    alert_count: int


class TimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    actor: str = Field(alias="actor_label", description="Who: a person's e-mail, an integration, 'system'")
    actor_id: int | None = Field(description="The user, when a person acted")
    text: str
    data: dict[str, Any]
    client_visible: bool = Field(description="Shown to the client (portal, e-mail); else internal")

    @staticmethod
    def resolve_text(obj: TimelineEntry) -> str:
        # Times a service stored apart (`data.times`, ISO 8601) read in UTC, labelled "UTC"; no
        # server paths from delivery records written by older versions.
        return server_paths_hidden(obj.text_in(None))

    @staticmethod
    def resolve_data(entry: Any) -> dict[str, Any]:
        """Delivery records written by older versions named the server's mail folder."""
        data = dict(entry.data)
        if isinstance(data.get("response"), str):
            data["response"] = server_paths_hidden(data["response"])
        return data


class IncidentAlertOut(Schema):
    id: int
    dedup_key: str
    status: str
    summary: str
    severity: str
    occurrence_count: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    service: ServiceRef
    integration: IntegrationRef


class ResponderOut(Schema):
    user: OwnerRef
    role: str = Field(description="commander, communications or technician")
    added_at: dt.datetime


class IncidentDetailOut(IncidentOut):
    description: str
    merged_into_id: int | None = Field(description="The incident this one was merged into")
    timeline: list[TimelineEntryOut]
    alerts: list[IncidentAlertOut]
    responders: list[ResponderOut]

    @staticmethod
    def resolve_alerts(obj: Incident) -> list[Any]:
        return list(selectors.incident_alerts(incident=obj))


class IncidentOpenIn(InputSchema):
    client: str = Field(description="Slug of the client")
    service_id: Id
    title: str = Field(min_length=1, max_length=1024)
    description: str = Field("", max_length=20_000)
    impact: str = Field(description="An impact level of the policy, e.g. high")
    urgency: str = Field(description="An urgency level of the policy, e.g. medium")
    category: str = Field("", max_length=40)


class IncidentResolveIn(InputSchema):
    note: str = Field("", max_length=2000)


class IncidentReopenIn(InputSchema):
    reason: str = Field("", max_length=2000)


class IncidentNoteIn(InputSchema):
    text: str = Field(min_length=1, max_length=20_000, description="Markdown")
    client_visible: bool = Field(False, description="A client-visible update rather than an internal note")


class IncidentHandOffIn(InputSchema):
    owner: Id = Field(description="The user id of the new owner")
    note: str = Field(min_length=1, max_length=20_000, description="What is known and what is next")


class IncidentCategoryIn(InputSchema):
    category: str = Field(max_length=40, description="A policy category key; empty: none")


class IncidentResponderIn(InputSchema):
    user: Id = Field(description="The responder's user id")
    role: str = Field("technician", description="commander, communications or technician")


class IncidentMergeIn(InputSchema):
    into: Id = Field(description="The id of the incident that remains (same client, open)")


class BulkIn(InputSchema):
    incidents: list[Id] = Field(min_length=1, max_length=200)
    action: str = Field(description="acknowledge or assign")
    owner: Id | None = Field(None, description="For assign: the new owner's user id; null: nobody")


class BulkOut(Schema):
    done: list[str]
    unchanged: list[str]
    refused: list[str]


class IncidentPriorityIn(InputSchema):
    impact: str
    urgency: str


class IncidentAssignIn(InputSchema):
    owner: Id | None = Field(description="The new owner's user id; null: nobody")


class IncidentWaitIn(InputSchema):
    status: str = Field(description="waiting_client or waiting_vendor")
    note: str = Field("", max_length=2000)
