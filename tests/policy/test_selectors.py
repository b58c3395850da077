"""The look-ups other capabilities rely on, and the page's read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.policy.edits import replace_once
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.policy.selectors import policy_get, priority_for, severity_defaults
from watchkeeper.policy.services import policy_import_yaml

# domain.md: impact (rows) × urgency (columns)
DEFAULT_MATRIX = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P5"},
}


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [(i, u, p) for i, row in DEFAULT_MATRIX.items() for u, p in row.items()],
)
def test_priority_for_default_matrix(db: None, impact: str, urgency: str, expected: str) -> None:
    assert priority_for(impact=impact, urgency=urgency) == expected


def test_priority_for_follows_an_edited_matrix(default_yaml: str) -> None:
    edited = replace_once(
        default_yaml, "low: {high: P3, medium: P4, low: P5}", "low: {high: P3, medium: P4, low: P4}"
    )
    policy_import_yaml(edited, actor="cli")
    assert priority_for(impact="low", urgency="low") == "P4"


def test_priority_for_names_the_unknown_level(db: None) -> None:
    with pytest.raises(InvalidInput) as caught:
        priority_for(impact="huge", urgency="low")
    assert caught.value.message == "Unknown impact level 'huge' (known: high, medium, low)."
    assert caught.value.field == "impact"
    with pytest.raises(InvalidInput, match="Unknown urgency level 'soon'"):
        priority_for(impact="high", urgency="soon")


def test_severity_defaults(db: None) -> None:
    assert severity_defaults("critical") == ("high", "high")
    assert severity_defaults("info") == ("low", "low")
    with pytest.raises(InvalidInput, match="Unknown severity 'fatal'"):
        severity_defaults("fatal")


def test_policy_get_reads_everything_in_a_fixed_number_of_queries(
    db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(8):
        view = policy_get()
        [row.cells for row in view.matrix]
        [(row.severity.default_impact.name, row.priority) for row in view.severities]
    assert [row.impact.key for row in view.matrix] == ["high", "medium", "low"]
    assert view.matrix[0].cells[0][1] is not None and view.matrix[0].cells[0][1].key == "P1"
    assert [s.key for s in view.sections][:3] == ["purpose", "scope", "roles"]
    critical = view.severities[0]
    assert critical.priority is not None and critical.priority.key == "P1"


def test_review_overdue(default_yaml: str) -> None:
    assert policy_get().overdue, "the default policy was never reviewed"
    clock.freeze(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
    policy_import_yaml(
        replace_once(default_yaml, "last_reviewed: null", "last_reviewed: 2026-05-01"), actor="cli"
    )
    view = policy_get()
    assert view.review_due == dt.date(2026, 7, 30)
    assert not view.overdue
    clock.advance(dt.timedelta(days=60))
    assert policy_get().overdue
