"""API schemas for users and teams."""

from __future__ import annotations

from ninja import Field, Schema


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    client: str | None = Field(None, alias="client.slug")
    timezone: str
    is_active: bool


class TeamMemberOut(Schema):
    id: int = Field(alias="user.id")
    email: str = Field(alias="user.email")
    full_name: str = Field(alias="user.full_name")
    is_lead: bool


class TeamOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    members: list[TeamMemberOut] = Field(alias="teammembership_set")
