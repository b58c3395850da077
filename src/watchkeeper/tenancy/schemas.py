"""API schemas for clients, sites, services and contacts (one in, one out per operation)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from watchkeeper.core.schemas import Count, Id, InputSchema


# References that several apps' schemas embed (alerts, incidents): they live here, at the bottom
# of the domain, so an app lower in the layers never imports a higher app's schemas (ADR 0022).
class ServiceRef(Schema):
    id: int
    name: str


class IntegrationRef(Schema):
    id: int
    name: str
    type: str


class ClientOut(Schema):
    id: int
    slug: str
    name: str
    timezone: str
    country: str
    region: str
    contract_tier: str
    seats: int
    is_active: bool
    created_at: dt.datetime


class ClientCreateIn(InputSchema):
    name: str = Field(min_length=1, max_length=150)
    slug: str = Field(min_length=3, max_length=40)
    timezone: str = "UTC"
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=10)
    contract_tier: str = "standard"
    seats: Count = 0
    notes: str = ""


class ClientUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    timezone: str | None = None
    country: str | None = Field(None, max_length=2)
    region: str | None = Field(None, max_length=10)
    contract_tier: str | None = None
    seats: Count | None = None
    is_active: bool | None = None
    notes: str | None = None


class SiteOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    address: str
    timezone: str


class ServiceOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    kind: str
    criticality: str
    site_id: int | None
    owner_team: str | None = Field(None, alias="owner_team.slug")
    description: str
    is_active: bool


class ServiceCreateIn(InputSchema):
    client: str = Field(description="Slug of the client the service belongs to")
    name: str = Field(min_length=1, max_length=150)
    kind: str = "application"
    criticality: str = "medium"
    site_id: Id | None = None
    owner_team: str | None = Field(None, description="Team slug")
    description: str = ""


class ServiceUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    kind: str | None = None
    criticality: str | None = None
    site_id: Id | None = None
    owner_team: str | None = None
    description: str | None = None
    is_active: bool | None = None


class ContactOut(Schema):
    id: int
    client: str = Field(alias="client.slug")
    name: str
    email: str
    phone: str
    job_title: str
    is_primary: bool
    preferred_channel: str
    receives_incident_updates: bool
    receives_major_incidents_only: bool
    receives_reports: bool


class ContactCreateIn(InputSchema):
    client: str
    name: str = Field(min_length=1, max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=100)
    is_primary: bool = False
    preferred_channel: str = "email"
    receives_incident_updates: bool = True
    receives_major_incidents_only: bool = False
    receives_reports: bool = False


class ContactUpdateIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Field(None, max_length=100)
    is_primary: bool | None = None
    preferred_channel: str | None = None
    receives_incident_updates: bool | None = None
    receives_major_incidents_only: bool | None = None
    receives_reports: bool | None = None
