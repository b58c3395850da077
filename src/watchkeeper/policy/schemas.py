"""API schemas for the incident policy (the same shape as the YAML file, plus review status)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class ItemOut(Schema):
    key: str
    name: str
    description: str


class SectionOut(Schema):
    key: str
    title: str
    body: str  # Markdown


class SeverityOut(Schema):
    key: str
    name: str
    description: str
    default_impact: str
    default_urgency: str


class ReviewRulesOut(Schema):
    priorities: list[str]
    sla_breach: bool
    reopened: bool
    due_business_days: int


class IncidentPolicyOut(Schema):
    title: str
    owner: str
    version: str
    last_reviewed: dt.date | None
    review_interval_days: int
    resume_on_client_reply: bool
    review_due: dt.date | None
    overdue_for_review: bool
    sections: list[SectionOut]
    categories: list[ItemOut]
    impact_levels: list[ItemOut]
    urgency_levels: list[ItemOut]
    priorities: list[ItemOut]
    matrix: dict[str, dict[str, str]]  # impact key → urgency key → priority key
    severities: list[SeverityOut]
    reviews: ReviewRulesOut


class PriorityOut(Schema):
    priority: str
