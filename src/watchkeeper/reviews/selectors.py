"""Reads of reviews and action items, always narrowed to what the actor may see: MSP staff see
the reviews of the clients they work on; a client's people see only the published summaries of
their own client."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.reviews.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    Review,
    ReviewStatus,
    SummaryState,
)
from watchkeeper.tenancy import access

REVIEW_FILTERS = ("open", "overdue", "completed", "all")
ACTION_FILTERS = ("open", "overdue", "done", "all")


def _reviews(actor: access.ActorLike) -> QuerySet[Review]:
    return access.scope_for(Review.objects.all(), actor, "incidents.view")


def review_list(
    *, actor: access.ActorLike, show: str = "open", client_slug: str = "", owner_id: int | None = None
) -> QuerySet[Review]:
    if show not in REVIEW_FILTERS:
        raise InvalidInput(f"show must be one of {', '.join(REVIEW_FILTERS)}.", field="show")
    qs = _reviews(actor).select_related("incident__client", "incident__service", "owner")
    qs = qs.annotate(
        open_actions=Count("action_items", filter=Q(action_items__status__in=OPEN_ACTION_STATUSES))
    )
    if client_slug:
        qs = qs.filter(client=access.client_access(actor, client_slug))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if show == "open":
        qs = qs.filter(status=ReviewStatus.OPEN)
    elif show == "overdue":
        qs = qs.filter(status=ReviewStatus.OPEN, due_at__lt=clock.now())
    elif show == "completed":
        qs = qs.filter(status=ReviewStatus.COMPLETED)
    return qs.order_by("due_at", "id")


def review_access(*, actor: access.ActorLike, pk: int) -> Review:
    """The review, or NotFound (404) when missing or another tenant's."""
    qs = _reviews(actor).select_related(
        "incident__client", "incident__service", "owner", "summary_approved_by"
    )
    return access.object_access(actor, qs, pk=pk)


def review_for_incident(*, actor: access.ActorLike, incident_id: int) -> Review | None:
    return _reviews(actor).filter(incident_id=incident_id).first()


def action_item_list(
    *, actor: access.ActorLike, show: str = "open", client_slug: str = "", owner_id: int | None = None
) -> QuerySet[ActionItem]:
    """Action items across the clients the actor works on, soonest due first."""
    if show not in ACTION_FILTERS:
        raise InvalidInput(f"show must be one of {', '.join(ACTION_FILTERS)}.", field="show")
    qs = access.scope_for(ActionItem.objects.all(), actor, "incidents.view").select_related(
        "owner", "client", "review__incident__client", "event_rule"
    )
    if client_slug:
        qs = qs.filter(client=access.client_access(actor, client_slug))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if show == "open":
        qs = qs.filter(status__in=OPEN_ACTION_STATUSES)
    elif show == "overdue":
        qs = qs.filter(status__in=OPEN_ACTION_STATUSES, due_on__lt=clock.now().date())
    elif show == "done":
        qs = qs.filter(status=ActionStatus.DONE)
    return qs.order_by("due_on", "id")


def action_item_access(*, actor: access.ActorLike, pk: int) -> ActionItem:
    qs = access.scope_for(ActionItem.objects.all(), actor, "incidents.view").select_related(
        "owner", "client", "review__incident__client", "event_rule"
    )
    return access.object_access(actor, qs, pk=pk)


def action_items_of(review: Review) -> list[ActionItem]:
    return list(review.action_items.select_related("owner", "event_rule").order_by("due_on", "id"))


def portal_summaries(*, actor: access.ActorLike) -> QuerySet[Review]:
    """The published client summaries of the actor's own client (portal users only)."""
    qs = access.scope_for(Review.objects.all(), actor, "portal.incidents")
    return (
        qs.filter(summary_state=SummaryState.PUBLISHED)
        .select_related("incident__service")
        .order_by("-summary_published_at", "-id")
    )


def portal_summary(*, actor: access.ActorLike, pk: int) -> Review:
    return access.object_access(actor, portal_summaries(actor=actor), pk=pk)
