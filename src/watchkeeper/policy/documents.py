"""The policy as a plain document: the shape shared by the YAML file, the API and the store.

A document is canonical: keys in a fixed order, text normalised, lists in policy order.
Reading the database and parsing a file both produce this shape, so export → import →
export is byte-for-byte stable.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypedDict

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")

# An alert's own level. Fixed vocabulary (see DESIGN.md glossary): ingest maps every
# tool's levels onto these four, so the policy must define exactly these.
SEVERITIES = ("critical", "error", "warning", "info")


class ItemDoc(TypedDict):
    key: str
    name: str
    description: str


class SectionDoc(TypedDict):
    key: str
    title: str
    body: str


class SeverityDoc(TypedDict):
    key: str
    name: str
    description: str
    default_impact: str
    default_urgency: str


class ReviewRulesDoc(TypedDict):
    """When a resolved incident needs a post-incident review: its priority is listed, it
    breached an SLA target, or it was reopened; due this many business days after resolution."""

    priorities: list[str]
    sla_breach: bool
    reopened: bool
    due_business_days: int


def default_review_rules() -> ReviewRulesDoc:
    return {"priorities": ["P1", "P2"], "sla_breach": True, "reopened": True, "due_business_days": 5}


class PolicyDocument(TypedDict):
    title: str
    owner: str
    version: str
    last_reviewed: dt.date | None
    review_interval_days: int
    resume_on_client_reply: bool
    sections: list[SectionDoc]
    categories: list[ItemDoc]
    impact_levels: list[ItemDoc]
    urgency_levels: list[ItemDoc]
    priorities: list[ItemDoc]
    matrix: dict[str, dict[str, str]]  # impact key → urgency key → priority key
    severities: list[SeverityDoc]
    reviews: ReviewRulesDoc


def normalise_text(value: str) -> str:
    """Markdown and descriptions: no trailing spaces, no blank edges; multi-line ends in a newline.

    Trailing spaces would force PyYAML to quote the text instead of writing a block literal,
    and the final newline makes it `|` rather than `|-`. Idempotent, so round trips are exact.
    """
    text = "\n".join(line.rstrip() for line in value.splitlines()).strip("\n")
    return text + "\n" if "\n" in text else text


def document_jsonable(document: PolicyDocument) -> dict[str, object]:
    """The document with its date as ISO text, for audit entries and JSON."""
    data: dict[str, object] = dict(document)
    reviewed = document["last_reviewed"]
    data["last_reviewed"] = reviewed.isoformat() if reviewed else None
    return data
