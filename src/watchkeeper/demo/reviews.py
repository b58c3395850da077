"""Demo reviews: the resolved incidents of the history get the reviews the policy requires (and a
few a client asked for), in several states — one completed with its client summary published,
one in progress, one overdue — with action items, some of them overdue. Idempotent: an incident
has at most one review, and items are keyed on their title. Quiet: timers already in the past are
dropped, so loading the demo reminds nobody of what was due before it existed."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Q

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.models import Timer
from watchkeeper.incidents.models import Incident, IncidentStatus
from watchkeeper.reviews import actions, services
from watchkeeper.reviews.models import ActionItem, Review, ReviewStatus
from watchkeeper.reviews.timers import ACTION_DUE, REVIEW_DUE, SUMMARY_MAIL
from watchkeeper.tenancy import access

TEXTS = {
    "summary": "The service stopped answering; monitoring raised it and the on-call technician restored it.",
    "impact": "Staff could not work with the service for the duration of the incident.",
    "root_cause": "A dependency ran out of capacity after a configuration change weeks earlier.",
    "trigger": "Nightly job load on top of the reduced capacity.",
    "went_well": "Alert to acknowledgement in minutes; the runbook's first step worked.",
    "went_badly": "The second client update came late.",
    "lucky": "It happened outside the busiest hours.",
    "detection": "The alert fired on the symptom, not on the capacity trend that preceded it.",
    "response": "Escalation was not needed; one update gap over the SLA interval.",
}
ITEMS = (
    # title, kind, days from today (negative: overdue), status
    ("Alert on the capacity trend, not only the outage", "detect", -3, "open"),
    ("Update the runbook with the restore steps", "documentation", 10, "in_progress"),
    ("Review the change process for capacity settings", "process", -20, "done"),
)


def _resolved() -> list[Incident]:
    qs = Incident.objects.filter(
        status__in=[IncidentStatus.RESOLVED, IncidentStatus.CLOSED], merged_into=None
    )
    return list(qs.select_related("client", "owner").order_by("-resolved_at")[:12])


def reviews_load(*, created: Counter[str]) -> None:
    now = clock.now()
    incidents = _resolved()
    reviews: list[Review] = []
    for index, incident in enumerate(incidents):
        if Review.objects.filter(incident=incident).exists():
            reviews.append(Review.objects.get(incident=incident))
            continue
        review = services.review_open_if_required(
            incident_id=incident.pk, now=now, asked="Client asked" if index < 3 else "", by="demo", via="demo"
        )
        if review is not None:
            reviews.append(review)
            created["review"] += 1
    for position, review in enumerate(reviews[:3]):
        _fill(review, position, created)
    # Quiet: what fell due before the demo existed is not sent now.
    # The demo's published summary is not e-mailed to the demo contacts either.
    stale = Q(kind__in=[REVIEW_DUE, ACTION_DUE], due_at__lte=clock.now()) | Q(kind=SUMMARY_MAIL)
    Timer.objects.filter(stale).delete()


def _staff(review: Review) -> User | None:
    """Someone who works on the review's client: its incident's owner, else an MSP admin."""
    return review.owner or access.staff_for_client(review.client).order_by("pk").first()


def _fill(review: Review, position: int, created: Counter[str]) -> None:
    """0: completed, summary published; 1: in progress, due soon; 2: overdue, barely started.
    Written directly, as the SLA demo writes its rows (the services audit as the person acting,
    and the demo's audit trail is "demo" alone); the action items' timers are set as usual."""
    by = _staff(review)
    if by is None or review.status == ReviewStatus.COMPLETED or review.summary.strip():
        return
    now = clock.now()
    fields = TEXTS if position < 2 else {"summary": TEXTS["summary"]}
    for name, value in fields.items():
        setattr(review, name, value)
    review.factors = [
        {"kind": "technical", "text": "Capacity alerting missing"},
        {"kind": "process", "text": "Change not reviewed"},
    ]
    if position == 0:
        review.client_summary = services.summary_draft_text(review)
        review.summary_state, review.summary_published_at, review.summary_approved_by = "published", now, by
        review.status, review.completed_at = ReviewStatus.COMPLETED, now
    elif position == 2:
        review.due_at = now - dt.timedelta(days=2)
    review.save()
    today = now.date()
    for title, kind, days, status in ITEMS[: 3 - position]:
        if ActionItem.objects.filter(review=review, title=title).exists():
            continue
        item = ActionItem.objects.create(
            review=review, client_id=review.client_id, title=title, kind=kind, owner=by,
            due_on=today + dt.timedelta(days=days), status=status,
            completed_at=now if status == "done" else None,
        )  # fmt: skip
        actions.action_timer(item, now)
        created["action item"] += 1
