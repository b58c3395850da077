"""The reviews app's adapters: a resolution may open a review; due reviews and action items
remind their owners and then escalate to the managers; a published summary is e-mailed."""

from __future__ import annotations

import datetime as dt

from watchkeeper.core.models import Timer
from watchkeeper.reviews.reminders import action_due_fire, review_due_fire, summary_mail_send
from watchkeeper.reviews.services import review_open_if_required


def incident_resolved(timer: Timer, now: dt.datetime) -> None:
    review_open_if_required(incident_id=int(timer.key), now=now)


def review_due(timer: Timer, now: dt.datetime) -> None:
    review_due_fire(review_id=int(timer.key), stage=str(timer.payload.get("stage", "reminder")), now=now)


def action_due(timer: Timer, now: dt.datetime) -> None:
    action_due_fire(item_id=int(timer.key), stage=str(timer.payload.get("stage", "reminder")), now=now)


def summary_mail(timer: Timer, now: dt.datetime) -> None:
    summary_mail_send(review_id=int(timer.key))
