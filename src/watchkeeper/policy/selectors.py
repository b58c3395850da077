"""Reads of the incident policy: the whole policy for its page and API, and the two
look-ups other capabilities use (`priority_for`, `severity_defaults`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.policy.documents import (
    SEVERITIES,
    ItemDoc,
    PolicyDocument,
    ReviewRulesDoc,
    default_review_rules,
)
from watchkeeper.policy.models import (
    Category,
    ImpactLevel,
    MatrixCell,
    Ordered,
    Policy,
    Priority,
    Section,
    Severity,
    UrgencyLevel,
)
from watchkeeper.policy.storage import POLICY_PK

M = TypeVar("M", bound=Ordered)


@dataclass(frozen=True)
class MatrixRow:
    impact: ImpactLevel
    cells: list[tuple[UrgencyLevel, Priority | None]]  # in urgency order; None only if a cell was lost


@dataclass(frozen=True)
class SeverityRow:
    severity: Severity
    priority: Priority | None  # what default impact × urgency gives


@dataclass(frozen=True)
class PolicyView:
    """Everything the policy page shows, read in a fixed handful of queries."""

    policy: Policy
    sections: list[Section]
    categories: list[Category]
    impact_levels: list[ImpactLevel]
    urgency_levels: list[UrgencyLevel]
    priorities: list[Priority]
    matrix: list[MatrixRow]
    severities: list[SeverityRow]
    review_due: dt.date | None

    @property
    def overdue(self) -> bool:
        """Never reviewed, or the review interval has passed."""
        return self.review_due is None or self.review_due < clock.now().date()


def _ordered(model: type[M]) -> list[M]:
    return list(model._default_manager.filter(policy_id=POLICY_PK).order_by("position", "pk"))


def _policy() -> Policy:
    policy = Policy.objects.filter(pk=POLICY_PK).first()
    if policy is None:
        raise NotFound("There is no incident policy yet. Load one with `watchkeeper policy import FILE`.")
    return policy


Cells = dict[tuple[int, int], Priority | None]  # (impact id, urgency id) → priority


def _cells(priorities: list[Priority]) -> Cells:
    by_id = {priority.pk: priority for priority in priorities}
    rows = MatrixCell.objects.filter(policy_id=POLICY_PK).values_list(
        "impact_id", "urgency_id", "priority_id"
    )
    return {(impact_id, urgency_id): by_id.get(priority_id) for impact_id, urgency_id, priority_id in rows}


def _severity_rows(cells: Cells) -> list[SeverityRow]:
    severities = (
        Severity.objects.filter(policy_id=POLICY_PK)
        .select_related("default_impact", "default_urgency")
        .order_by("position", "pk")
    )
    return [SeverityRow(s, cells.get((s.default_impact_id, s.default_urgency_id))) for s in severities]


def policy_get() -> PolicyView:
    """The whole policy (8 queries, whatever its size)."""
    policy = _policy()
    impacts, urgencies, priorities = _ordered(ImpactLevel), _ordered(UrgencyLevel), _ordered(Priority)
    cells = _cells(priorities)
    reviewed = policy.last_reviewed
    return PolicyView(
        policy=policy,
        sections=_ordered(Section),
        categories=_ordered(Category),
        impact_levels=impacts,
        urgency_levels=urgencies,
        priorities=priorities,
        matrix=[
            MatrixRow(impact, [(urgency, cells.get((impact.pk, urgency.pk))) for urgency in urgencies])
            for impact in impacts
        ],
        severities=_severity_rows(cells),
        review_due=reviewed + dt.timedelta(days=policy.review_interval_days) if reviewed else None,
    )


def resume_on_client_reply() -> bool:
    """Whether a client's reply ends "waiting on client" (the policy's `resume_on_client_reply`;
    on when there is no policy yet)."""
    flag = Policy.objects.filter(pk=POLICY_PK).values_list("resume_on_client_reply", flat=True).first()
    return True if flag is None else flag


def _items(
    objects: list[ImpactLevel] | list[UrgencyLevel] | list[Priority] | list[Category],
) -> list[ItemDoc]:
    return [{"key": obj.key, "name": obj.name, "description": obj.description} for obj in objects]


def policy_document(view: PolicyView | None = None) -> PolicyDocument:
    """The policy as a canonical document (the YAML file's and the API's shape)."""
    view = view or policy_get()
    policy = view.policy
    return {
        "title": policy.title,
        "owner": policy.owner,
        "version": policy.version,
        "last_reviewed": policy.last_reviewed,
        "review_interval_days": policy.review_interval_days,
        "resume_on_client_reply": policy.resume_on_client_reply,
        "sections": [{"key": s.key, "title": s.name, "body": s.description} for s in view.sections],
        "categories": _items(view.categories),
        "impact_levels": _items(view.impact_levels),
        "urgency_levels": _items(view.urgency_levels),
        "priorities": _items(view.priorities),
        "matrix": {
            row.impact.key: {urgency.key: priority.key for urgency, priority in row.cells if priority}
            for row in view.matrix
        },
        "severities": [
            {
                "key": row.severity.key,
                "name": row.severity.name,
                "description": row.severity.description,
                "default_impact": row.severity.default_impact.key,
                "default_urgency": row.severity.default_urgency.key,
            }
            for row in view.severities
        ],
        "reviews": _review_rules(policy.review_rules),
    }


def _review_rules(stored: object) -> ReviewRulesDoc:
    rules = default_review_rules()
    if isinstance(stored, dict):
        merged: dict[str, Any] = {**rules, **{key: stored[key] for key in rules if key in stored}}
        return cast(ReviewRulesDoc, merged)
    return rules


def review_rules() -> ReviewRulesDoc:
    """When a resolved incident needs a review (the policy's `reviews:`; the defaults when there
    is no policy yet)."""
    stored = Policy.objects.filter(pk=POLICY_PK).values_list("review_rules", flat=True).first()
    return _review_rules(stored)


def _known(model: type[ImpactLevel] | type[UrgencyLevel]) -> str:
    keys = model.objects.filter(policy_id=POLICY_PK).order_by("position").values_list("key", flat=True)
    return ", ".join(keys)


class _Lookups:
    """The matrix and the severities by key, read on first use (two queries)."""

    def __init__(self) -> None:
        self._priorities: dict[tuple[str, str], str] | None = None
        self._severities: dict[str, tuple[str, str]] = {}
        self.ranks: dict[str, int] | None = None  # filled by priority_ranks() on first use

    def _load(self) -> None:
        cells = MatrixCell.objects.filter(policy_id=POLICY_PK).values_list(
            "impact__key", "urgency__key", "priority__key"
        )
        self._priorities = {(impact, urgency): priority for impact, urgency, priority in cells}
        severities = Severity.objects.filter(policy_id=POLICY_PK).values_list(
            "key", "default_impact__key", "default_urgency__key"
        )
        self._severities = {key: (impact, urgency) for key, impact, urgency in severities}

    def priority(self, impact: str, urgency: str) -> str | None:
        if self._priorities is None:
            self._load()
        return (self._priorities or {}).get((impact, urgency))

    def severity(self, key: str) -> tuple[str, str] | None:
        if self._priorities is None:
            self._load()
        return self._severities.get(key)


_lookups: ContextVar[_Lookups | None] = ContextVar("policy_lookups", default=None)


@contextmanager
def policy_lookups_cached() -> Iterator[None]:
    """Inside the block, `priority_for` and `severity_defaults` answer from one read of the
    matrix and the severities instead of a query per call. For batch work inside one
    transaction (the engine's inbox batches); a policy saved meanwhile shows from the next
    block on. Unknown keys still go to the database, so their errors are unchanged."""
    token = _lookups.set(_Lookups())
    try:
        yield
    finally:
        _lookups.reset(token)


def priority_for(*, impact: str, urgency: str) -> str:
    """The priority key (e.g. "P2") the matrix gives; InvalidInput names an unknown level."""
    cached = _lookups.get()
    known = cached.priority(impact, urgency) if cached is not None else None
    if known is not None:
        return known
    found = (
        MatrixCell.objects.filter(policy_id=POLICY_PK, impact__key=impact, urgency__key=urgency)
        .values_list("priority__key", flat=True)
        .first()
    )
    if found is not None:
        return found
    if not ImpactLevel.objects.filter(policy_id=POLICY_PK, key=impact).exists():
        raise InvalidInput(f"Unknown impact level '{impact}' (known: {_known(ImpactLevel)}).", field="impact")
    if not UrgencyLevel.objects.filter(policy_id=POLICY_PK, key=urgency).exists():
        raise InvalidInput(
            f"Unknown urgency level '{urgency}' (known: {_known(UrgencyLevel)}).", field="urgency"
        )
    raise NotFound(f"The priority matrix has no cell for impact '{impact}' × urgency '{urgency}'.")


def severity_defaults(severity: str) -> tuple[str, str]:
    """(impact key, urgency key) an alert of this severity starts an incident with."""
    cached = _lookups.get()
    defaults = cached.severity(severity) if cached is not None else None
    if defaults is not None:
        return defaults
    found = (
        Severity.objects.filter(policy_id=POLICY_PK, key=severity)
        .values_list("default_impact__key", "default_urgency__key")
        .first()
    )
    if found is None:
        raise InvalidInput(
            f"Unknown severity '{severity}' (known: {', '.join(SEVERITIES)}).", field="severity"
        )
    return found


def priority_keys() -> list[str]:
    """The policy's priority keys, most urgent first (the queue sorts in this order)."""
    return list(
        Priority.objects.filter(policy_id=POLICY_PK).order_by("position", "pk").values_list("key", flat=True)
    )


def priority_list() -> list[Priority]:
    """The priorities, most urgent first (one query; for filters that need no whole policy)."""
    return _ordered(Priority)


def priority_ranks() -> dict[str, int]:
    """Each priority key's rank in the policy (1: most urgent); read once per
    `policy_lookups_cached()` block."""
    cached = _lookups.get()
    if cached is not None and cached.ranks is not None:
        return cached.ranks
    ranks = {key: rank for rank, key in enumerate(priority_keys(), start=1)}
    if cached is not None:
        cached.ranks = ranks
    return ranks


def category_keys() -> list[str]:
    return list(
        Category.objects.filter(policy_id=POLICY_PK).order_by("position", "pk").values_list("key", flat=True)
    )
