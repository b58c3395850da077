"""API schemas of chat (one in, one out per operation)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from watchkeeper.core.schemas import Id, InputSchema


class ChannelIn(InputSchema):
    name: str = Field(max_length=100)
    client: str | None = Field(
        None, description="A client's slug; empty: the MSP's NOC channel (every client)"
    )
    kind: str = Field("chat", description="chat (an Apprise URL) or email (a list of addresses)")
    address: str = Field(
        max_length=2000,
        description="slack://…, workflows://… (Microsoft Teams), mmost://…, gchat://…, discord://…, "
        "matrix://…, a native Slack/Teams/Discord/Google Chat webhook URL, or comma-separated e-mail "
        "addresses for kind email. Stored encrypted; never shown back.",
    )
    events: list[str] = Field(
        default_factory=lambda: ["opened", "priority", "acknowledged", "escalated", "update", "resolved"],
        description="opened, priority, acknowledged, escalated, update (client update sent), resolved",
    )
    priorities: list[str] = Field(
        default_factory=list, description="Only these priorities (e.g. P1, P2); empty: all"
    )
    digest: bool = Field(False, description="Also receives the hourly leadership digest while P1/P2 are open")
    is_enabled: bool = True


class ChannelUpdateIn(InputSchema):
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=2000, description="A new address; left out: kept")
    events: list[str] | None = None
    priorities: list[str] | None = None
    digest: bool | None = None
    is_enabled: bool | None = None


class ChannelOut(Schema):
    id: int
    name: str
    client: str | None = Field(None, alias="client.slug")
    kind: str
    address_hint: str = Field(description="A recognisable, non-secret part of the address")
    events: list[str]
    priorities: list[str]
    digest: bool
    is_enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class PostOut(Schema):
    id: int
    event: str
    title: str
    incident_id: int | None
    state: str = Field(description="pending, sending, sent or failed")
    attempts: int
    response: str = Field(description="The receiver's answer to the last attempt")
    created_at: dt.datetime
    sent_at: dt.datetime | None


class EndpointIn(InputSchema):
    provider: str = Field(description="slack or mattermost")
    name: str = Field(max_length=100)
    secret: str = Field(max_length=200, description="Slack's signing secret, or Mattermost's command token")


class EndpointOut(Schema):
    id: int
    provider: str
    name: str
    key: str
    url: str = Field(description="The request URL to enter in Slack or Mattermost")
    is_enabled: bool
    created_at: dt.datetime


class LinkIn(InputSchema):
    provider: str = Field(description="slack or mattermost")
    team_id: str = Field("", max_length=64, description="The workspace/team id; empty: any")
    external_id: str = Field(max_length=64, description="The chat user id, e.g. U024BE7LH")
    user: Id = Field(description="The Watchkeeper user's id (MSP staff)")


class LinkOut(Schema):
    id: int
    provider: str
    team_id: str
    external_id: str
    user_id: int
    created_at: dt.datetime
