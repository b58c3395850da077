"""What the reviews timers do when they fall due. Each re-reads its subject under a row lock and
acts only if the subject still needs it (fenced and idempotent: notices are unique per person)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction

from watchkeeper.branding.emails import branded_email
from watchkeeper.core.humanize import when
from watchkeeper.core.timers import timer_set
from watchkeeper.reviews import timers
from watchkeeper.reviews.actions import overdue_at
from watchkeeper.reviews.models import ActionItem, Review, SummaryDelivery, SummaryState
from watchkeeper.reviews.notify import managers_of, people, review_notify
from watchkeeper.tenancy.models import Contact

log = logging.getLogger("watchkeeper.reviews")


def review_due_fire(*, review_id: int, stage: str, now: dt.datetime) -> int:
    """`reminder`: tell the owner (the managers when nobody owns it) the review is due soon, and
    set the overdue check. `overdue`: tell the owner and the managers."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("incident__client", "owner")
        .filter(pk=review_id)
        .first()
    )
    if review is None or not review.is_open:
        return 0
    incident = review.incident
    if stage == "reminder" and now < review.due_at:  # past the due time (a late engine): overdue
        timer_set(
            kind=timers.REVIEW_DUE, key=str(review.pk), due_at=review.due_at, payload={"stage": "overdue"}
        )
        users = people([review.owner]) or people(managers_of(incident))
        subject = f"[{incident.reference}] Post-incident review due"
        verb = "is due"
    else:
        if now < review.due_at:  # the due time moved later: wait for it
            timer_set(
                kind=timers.REVIEW_DUE, key=str(review.pk), due_at=review.due_at, payload={"stage": "overdue"}
            )
            return 0
        stage = "overdue"
        users = people([review.owner], managers_of(incident))
        subject = f"[{incident.reference}] Post-incident review overdue"
        verb = "was due"
    sent = 0
    for user in users:
        text = (
            f"The post-incident review of {incident.reference} ({incident.title}) {verb} "
            f"{when(review.due_at, user.zone)}.\nClient: {incident.client.name}\n"
        )
        sent += review_notify(
            users=[user], incident=incident, dedup_key=f"review:{review.pk}:{stage}:{review.due_at:%Y%m%d%H%M}",  # noqa: E501
            subject=subject, text=text,
        )  # fmt: skip
    return sent


def action_due_fire(*, item_id: int, stage: str, now: dt.datetime) -> int:
    """`reminder`: tell the owner the item is due; `overdue`: tell the owner and the managers."""
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("owner", "review__incident__client")
        .filter(pk=item_id)
        .first()
    )
    if item is None or not item.is_open:
        return 0
    incident = item.review.incident
    if stage == "reminder" and now < overdue_at(item):  # already overdue (a late engine): say so
        timer_set(
            kind=timers.ACTION_DUE,
            key=str(item.pk),
            due_at=max(overdue_at(item), now),
            payload={"stage": "overdue"},
        )
        users, subject = (
            people([item.owner]),
            f"[{incident.reference}] Action item due {item.due_on:%-d %b}: {item.title}",
        )
    else:
        stage = "overdue"
        if now < overdue_at(item):
            timer_set(
                kind=timers.ACTION_DUE,
                key=str(item.pk),
                due_at=overdue_at(item),
                payload={"stage": "overdue"},
            )
            return 0
        users = people([item.owner], managers_of(incident))
        subject = f"[{incident.reference}] Action item overdue: {item.title}"
    owner = item.owner.full_name or item.owner.email
    text = (
        f"{item.title}\nOwner: {owner}\nDue: {item.due_on:%Y-%m-%d}\n"
        f"From the review of {incident.reference} ({incident.title}), client {incident.client.name}.\n"
    )
    return review_notify(
        users=users, incident=incident, dedup_key=f"action:{item.pk}:{stage}:{item.due_on:%Y%m%d}",
        subject=subject, text=text,
    )  # fmt: skip


def summary_recipients(review: Review) -> list[str]:
    contacts = Contact.objects.filter(client_id=review.client_id, receives_incident_updates=True).exclude(
        email=""
    )
    return sorted({contact.email.lower() for contact in contacts})


def summary_mail_send(*, review_id: int) -> int:
    """E-mail a published summary to each contact not yet sent it. One message per contact, each
    recorded as sent in its own savepoint: a retry after a crash sends only to those missing
    (a contact may, rarely, get it twice: the send happened, the record did not commit)."""
    review = Review.objects.select_related("incident__client").filter(pk=review_id).first()
    if review is None or review.summary_state != SummaryState.PUBLISHED:
        return 0
    done = set(SummaryDelivery.objects.filter(review=review).values_list("email", flat=True))
    incident = review.incident
    sent = 0
    for address in summary_recipients(review):
        if address in done:
            continue
        try:
            with transaction.atomic():
                SummaryDelivery.objects.create(review=review, email=address)
                branded_email(
                    subject=f"Incident summary {incident.reference}: {incident.title}"[:250],
                    paragraphs=[
                        f"Here is our summary of incident {incident.reference}, {incident.title}.",
                        *[part for part in review.client_summary.split("\n\n") if part.strip()],
                        "You can also read it in your portal.",
                    ],
                    to=[address],
                ).send()
        except IntegrityError:
            continue
        sent += 1
    return sent
