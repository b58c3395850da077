"""API schemas of the knowledge base and runbooks: one input and one output per operation."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from watchkeeper.core.schemas import Date, Id, InputSchema
from watchkeeper.knowledge.models import BODY_MAX, TITLE_MAX, Article, Runbook, RunbookRun


class ArticleOut(Schema):
    id: int
    client: str | None = Field(None, description="Client slug; empty for an MSP-wide article")
    client_name: str | None = None
    title: str
    body: str = Field(description="Markdown, as written (sanitised when shown)")
    tags: list[str]
    owner: str | None = Field(None, description="The owner's e-mail")
    client_visible: bool
    service_ids: list[int]
    categories: list[str]
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_client(obj: Article) -> str | None:
        return obj.client.slug if obj.client else None

    @staticmethod
    def resolve_client_name(obj: Article) -> str | None:
        return obj.client.name if obj.client else None

    @staticmethod
    def resolve_tags(obj: Article) -> list[str]:
        return obj.tag_list

    @staticmethod
    def resolve_owner(obj: Article) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_service_ids(obj: Article) -> list[int]:
        return [service.pk for service in obj.services.all()]  # prefetched by the selectors


class ArticleCreateIn(InputSchema):
    client: str | None = Field(None, description="Client slug; omit for an MSP-wide article")
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field("", max_length=BODY_MAX)
    tags: list[str] = Field(default_factory=list, max_length=20)
    client_visible: bool = False
    service_ids: list[Id] = Field(default_factory=list, max_length=100)
    categories: list[str] = Field(default_factory=list, max_length=50)


class ArticleUpdateIn(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    body: str | None = Field(None, max_length=BODY_MAX)
    tags: list[str] | None = Field(None, max_length=20)
    client_visible: bool | None = None
    service_ids: list[Id] | None = Field(None, max_length=100)
    categories: list[str] | None = Field(None, max_length=50)
    base_version: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="The version you edited: refused with 409 if someone saved since",
    )
    note: str = Field("", max_length=200, description="What changed, for the history")


class ArticleVersionOut(Schema):
    number: int
    title: str
    tags: list[str]
    client_visible: bool
    edited_by: str = Field(alias="edited_by_label")
    edited_at: dt.datetime
    note: str

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return str(obj.tags).split()


class ArticleRestoreIn(InputSchema):
    version: int = Field(ge=1, le=2**31 - 1)


class RunbookStepIn(InputSchema):
    kind: Literal["text", "check", "action"] = "check"
    text: str = Field(min_length=1, max_length=2000)


class RunbookStepOut(Schema):
    kind: str
    text: str


class RunbookOut(Schema):
    id: int
    client: str | None = None
    client_name: str | None = None
    title: str
    description: str
    owner: str | None = None
    review_due: dt.date | None
    steps: list[RunbookStepOut]
    service_ids: list[int]
    categories: list[str]
    alert_match: dict[str, str]
    is_active: bool
    version: int

    @staticmethod
    def resolve_client(obj: Runbook) -> str | None:
        return obj.client.slug if obj.client else None

    @staticmethod
    def resolve_client_name(obj: Runbook) -> str | None:
        return obj.client.name if obj.client else None

    @staticmethod
    def resolve_owner(obj: Runbook) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_service_ids(obj: Runbook) -> list[int]:
        return [service.pk for service in obj.services.all()]


class RunbookCreateIn(InputSchema):
    client: str | None = Field(None, description="Client slug; omit for an MSP-wide runbook")
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field("", max_length=BODY_MAX)
    review_due: Date | None = None
    steps: list[RunbookStepIn] = Field(min_length=1, max_length=100)
    service_ids: list[Id] = Field(default_factory=list, max_length=100)
    categories: list[str] = Field(default_factory=list, max_length=50)
    alert_match: dict[str, str] = Field(
        default_factory=dict,
        description='Alert fields that must all hold, e.g. {"labels.alertname": "DiskFull"}',
    )


class RunbookUpdateIn(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=BODY_MAX)
    review_due: Date | None = None
    steps: list[RunbookStepIn] | None = Field(None, min_length=1, max_length=100)
    service_ids: list[Id] | None = Field(None, max_length=100)
    categories: list[str] | None = Field(None, max_length=50)
    alert_match: dict[str, str] | None = None
    is_active: bool | None = None


class RunbookRunOut(Schema):
    id: int
    incident_id: int
    runbook_id: int | None
    version: int
    title: str
    steps: list[RunbookStepOut]
    ticked: list[int]
    started_by: str = Field(alias="started_by_label")
    started_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_ticked(obj: RunbookRun) -> list[int]:
        return sorted(obj.ticked)


class RunbookStartIn(InputSchema):
    runbook_id: Id


class RunbookTickIn(InputSchema):
    step: int = Field(ge=0, le=99, description="The step's index, from 0")
