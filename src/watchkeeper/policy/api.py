"""REST adapters for the incident policy. Thin: access and selectors decide."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from watchkeeper.policy import selectors
from watchkeeper.policy.schemas import PolicyOut, PriorityOut
from watchkeeper.tenancy import access

router = Router(tags=["policy"])


def _actor(request: HttpRequest) -> access.Actor:
    return request.auth  # type: ignore[attr-defined]


@router.get("/policy", response=PolicyOut)
def get_policy(request: HttpRequest) -> dict[str, Any]:
    access.require(_actor(request), "policy.view")
    view = selectors.policy_get()
    return {
        **selectors.policy_document(view),
        "review_due": view.review_due,
        "overdue_for_review": view.overdue,
    }


@router.get("/policy/priority", response=PriorityOut)
def get_priority(request: HttpRequest, impact: str, urgency: str) -> dict[str, str]:
    """The priority the matrix gives an impact × urgency pair."""
    access.require(_actor(request), "policy.view")
    return {"priority": selectors.priority_for(impact=impact, urgency=urgency)}
