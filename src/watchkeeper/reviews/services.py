"""Writes for reviews: opening one when the policy requires it, editing its template fields and
marks, completing it, and the client summary (draft → approved and published).

Every write checks access, saves with `update_fields`, records an audit entry and sets the
timers its change implies (DESIGN.md section 4.2), all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.audit.services import audit_record
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.core.timers import timer_cancel, timer_set
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from watchkeeper.incidents.services import timeline_add
from watchkeeper.policy.selectors import review_rules
from watchkeeper.reviews import timers
from watchkeeper.reviews.duedates import business_days_after, client_calendar
from watchkeeper.reviews.models import (
    TEMPLATE_FIELDS,
    TEXT_MAX,
    EntryMark,
    FactorKind,
    Review,
    ReviewStatus,
    SummaryState,
)
from watchkeeper.sla.models import SlaBreach
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By

REMIND_BEFORE = dt.timedelta(days=1)
FACTORS_MAX = 50


def review_reasons(incident: Incident) -> list[str]:
    """Why the policy requires a review of this resolved incident (empty: it does not)."""
    rules = review_rules()
    reasons = []
    if incident.priority in rules["priorities"]:
        reasons.append(incident.priority)
    if rules["sla_breach"] and SlaBreach.objects.filter(incident=incident).exists():
        reasons.append("SLA breach")
    if rules["reopened"] and incident.reopened_count > 0:
        reasons.append("Reopened")
    return reasons


def _due_timer(review: Review, now: dt.datetime) -> None:
    """Remind the owner a day before the due time (at once when that has passed), then at the
    due time escalate an unfinished review."""
    remind_at = review.due_at - REMIND_BEFORE
    if remind_at > now:
        timer_set(kind=timers.REVIEW_DUE, key=str(review.pk), due_at=remind_at, payload={"stage": "reminder"})
    else:
        timer_set(
            kind=timers.REVIEW_DUE, key=str(review.pk), due_at=review.due_at, payload={"stage": "overdue"}
        )


def _create(incident: Incident, reasons: list[str], by: By, now: dt.datetime, via: str) -> Review:
    resolved = incident.resolved_at or now
    days = review_rules()["due_business_days"]
    due = business_days_after(client_calendar(incident.client, resolved), resolved, days)
    review = Review.objects.create(
        client_id=incident.client_id, incident=incident, reasons=reasons, due_at=due, owner=incident.owner
    )
    responders = list(User.objects.filter(responding__incident=incident).exclude(pk=incident.owner_id or 0))
    if responders:
        review.participants.add(*responders)
    _due_timer(review, now)
    why = ", ".join(reasons) if reasons else "asked for"
    timeline_add(
        incident=incident, kind=TimelineKind.CHANGE, by=by,
        text=f"Post-incident review required ({why}); due {{due}}",
        data={"review": review.pk, "times": {"due": due.isoformat()}},
    )  # fmt: skip
    audit_record(actor=by, action="reviews.review.open", obj=review, after={"reasons": reasons}, via=via)
    return review


def review_open_if_required(
    *, incident_id: int, now: dt.datetime, asked: str = "", by: By = "system", via: str = "engine"
) -> Review | None:
    """The engine's answer to a resolution: open the review the policy requires (or, with
    `asked`, the one someone asked for: "Client asked"). Idempotent: an incident has at most
    one review, and one reopened since is left alone."""
    with transaction.atomic():
        try:
            incident = incident_lock(incident_id=incident_id)
        except Incident.DoesNotExist:
            return None
        if incident.status != IncidentStatus.RESOLVED or incident.merged_into_id:
            return None
        if Review.objects.filter(incident=incident).exists():
            return None
        reasons = review_reasons(incident) or ([asked] if asked else [])
        if not reasons:
            return None
        return _create(incident, reasons, by, now, via)


def review_open(*, incident: Incident, by: access.ActorLike) -> Review:
    """Open a review by hand (the owner or the client asked), for a resolved or closed incident."""
    access.require(by, "incidents.respond", client=incident.client)
    if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        raise Conflict(f"Resolve {incident.reference} before reviewing it.")
    with transaction.atomic():
        incident = incident_lock(incident_id=incident.pk)
        existing = Review.objects.filter(incident=incident).first()
        if existing is not None:
            return existing
        return _create(incident, review_reasons(incident), by, clock.now(), "console")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.", field=name)
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"{name} can be at most {TEXT_MAX:,} characters.", field=name)
    return value.strip()


def _factors(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > FACTORS_MAX:
        raise InvalidInput(f"factors must be a list of at most {FACTORS_MAX}.", field="factors")
    found = []
    for index, item in enumerate(value):
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in FactorKind.values:
            known = ", ".join(FactorKind.values)
            raise InvalidInput(f"factors[{index}].kind must be one of {known}.", field="factors")
        text = _text(f"factors[{index}].text", item.get("text", ""))
        if not text:
            raise InvalidInput(f"factors[{index}].text must not be empty.", field="factors")
        found.append({"kind": str(kind), "text": text[:2000]})
    return found


def _staff(review: Review, user_ids: Sequence[int], field: str) -> list[User]:
    users = list(User.objects.filter(pk__in=list(user_ids)))
    if len(users) != len(set(user_ids)) or not all(
        access.may_work_on(user, client_id=review.client_id) for user in users
    ):
        raise InvalidInput("No such person can take part in this review.", field=field)
    return users


def review_update(
    *, review: Review, by: access.ActorLike, changes: dict[str, Any], via: str = "console"
) -> Review:
    """Change template fields, factors, the owner (`owner`: a user id or None) and the
    participants (`participants`: user ids). Only given keys change."""
    access.require(by, "incidents.respond", client=review.client)
    names = {name for name, _, _ in TEMPLATE_FIELDS}
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        before: dict[str, Any] = {}
        fields: list[str] = []
        for name, value in changes.items():
            if name in names:
                new: Any = _text(name, value)
            elif name == "factors":
                new = _factors(value)
            elif name == "owner":
                new = _staff(review, [value], "owner")[0].pk if value is not None else None
                name = "owner_id"
            elif name == "participants":
                people = _staff(review, list(value or []), "participants")
                review.participants.set(people)
                continue
            else:
                raise InvalidInput(f"Unknown review field '{name}'.", field=name)
            if getattr(review, name) != new:
                before[name] = getattr(review, name)
                setattr(review, name, new)
                fields.append(name)
        if fields:
            review.save(update_fields=review.touch_fields(*fields))
        audit_record(
            actor=by, action="reviews.review.update", obj=review, via=via,
            before={k: str(v)[:500] for k, v in before.items()},
            after={k: str(getattr(review, k))[:500] for k in fields},
        )  # fmt: skip
    return review


def review_complete(*, review: Review, by: access.ActorLike, via: str = "console") -> Review:
    access.require(by, "incidents.respond", client=review.client)
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.status == ReviewStatus.COMPLETED:
            return review
        if not review.summary.strip() or not review.root_cause.strip():
            raise InvalidInput("Write the summary and the root cause before completing the review.")
        review.status, review.completed_at = ReviewStatus.COMPLETED, clock.now()
        review.save(update_fields=review.touch_fields("status", "completed_at"))
        timer_cancel(kind=timers.REVIEW_DUE, key=str(review.pk))
        audit_record(actor=by, action="reviews.review.complete", obj=review, via=via)
    return review


def review_reopen(*, review: Review, by: access.ActorLike, via: str = "console") -> Review:
    access.require(by, "incidents.respond", client=review.client)
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.status == ReviewStatus.OPEN:
            return review
        review.status, review.completed_at = ReviewStatus.OPEN, None
        review.save(update_fields=review.touch_fields("status", "completed_at"))
        _due_timer(review, clock.now())
        audit_record(actor=by, action="reviews.review.reopen", obj=review, via=via)
    return review


def entry_mark(
    *,
    review: Review,
    by: access.ActorLike,
    entry_id: int,
    starred: bool | None = None,
    annotation: str | None = None,
) -> EntryMark:
    """Star or annotate one of the incident's timeline entries (another incident's: 400)."""
    access.require(by, "incidents.respond", client=review.client)
    if not TimelineEntry.objects.filter(pk=entry_id, incident_id=review.incident_id).exists():
        raise InvalidInput("That entry is not on this incident's timeline.", field="entry")
    with transaction.atomic():
        mark, _ = EntryMark.objects.select_for_update().get_or_create(review=review, entry_id=entry_id)
        if starred is not None:
            mark.starred = starred
        if annotation is not None:
            mark.annotation = _text("annotation", annotation)[:4000]
        mark.updated_at = clock.now()
        mark.save(update_fields=["starred", "annotation", "updated_at"])
        audit_record(
            actor=by, action="reviews.entry.mark", obj=review,
            after={"entry": entry_id, "starred": mark.starred, "annotation": mark.annotation[:200]},
        )  # fmt: skip
    return mark


def summary_draft_text(review: Review) -> str:
    """A first client summary from the client-safe fields only (summary, impact, root cause):
    the trigger, the team's own assessment and the internal timeline never appear."""
    incident = review.incident
    parts = [f"# {incident.reference}: {incident.title}"]
    for name, label, client_safe in TEMPLATE_FIELDS:
        value = getattr(review, name).strip()
        if client_safe and value:
            parts.append(f"## {label}\n\n{value}")
    return "\n\n".join(parts) + "\n"


def summary_save(*, review: Review, by: access.ActorLike, text: str, via: str = "console") -> Review:
    """Save the client summary as a draft (a published one goes back to draft when edited)."""
    access.require(by, "incidents.respond", client=review.client)
    text = _text("client_summary", text)
    if not text:
        raise InvalidInput("The client summary needs some text.", field="client_summary")
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        review.client_summary, review.summary_state = text, SummaryState.DRAFT
        review.save(update_fields=review.touch_fields("client_summary", "summary_state"))
        audit_record(actor=by, action="reviews.summary.save", obj=review, via=via)
    return review


def summary_publish(*, review: Review, by: access.ActorLike, via: str = "console") -> Review:
    """Approve the summary and publish it: the client's portal shows it, and the engine e-mails
    it to the client's contacts who receive incident updates (`reviews.summary_mail`)."""
    access.require(by, "incidents.respond", client=review.client)
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if not review.client_summary.strip():
            raise InvalidInput("Write the client summary before publishing it.", field="client_summary")
        if review.summary_state == SummaryState.PUBLISHED:
            return review
        review.summary_state, review.summary_published_at = SummaryState.PUBLISHED, clock.now()
        review.summary_approved_by = access.user_of(by)
        review.save(
            update_fields=review.touch_fields("summary_state", "summary_published_at", "summary_approved_by")
        )
        timer_set(kind=timers.SUMMARY_MAIL, key=str(review.pk), due_at=clock.now())
        audit_record(actor=by, action="reviews.summary.publish", obj=review, via=via)
    return review
