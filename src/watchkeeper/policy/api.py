"""REST adapters for the incident policy. Thin: access and selectors decide."""

from __future__ import annotations

from typing import Any

from ninja import Router

from watchkeeper.policy import selectors
from watchkeeper.policy.schemas import IncidentPolicyOut, PriorityOut
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest

router = Router(tags=["policy"])


@router.get("/policy", response=IncidentPolicyOut)
def get_policy(request: ApiRequest) -> dict[str, Any]:
    access.require(request.auth, "policy.view")
    view = selectors.policy_get()
    return {
        **selectors.policy_document(view),
        "review_due": view.review_due,
        "overdue_for_review": view.overdue,
    }


@router.get("/policy/priority", response=PriorityOut)
def get_priority(request: ApiRequest, impact: str, urgency: str) -> dict[str, str]:
    """The priority the matrix gives an impact × urgency pair."""
    access.require(request.auth, "policy.view")
    return {"priority": selectors.priority_for(impact=impact, urgency=urgency)}
