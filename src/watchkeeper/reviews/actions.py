"""Writes for action items: add, change, finish. Each change of owner, due date or status sets
the item's timer again: a reminder to the owner before the due date, then an escalation to the
client's managers once it is overdue (`reminders.py` runs them)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.alerts.models import EventRule
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.timers import timer_cancel, timer_set
from watchkeeper.reviews import timers
from watchkeeper.reviews.models import OPEN_ACTION_STATUSES, ActionItem, ActionKind, ActionStatus, Review
from watchkeeper.tenancy import access

REMIND_DAYS_BEFORE = 2
REMIND_HOUR = 9


def remind_at(item: ActionItem) -> dt.datetime:
    """09:00 in the owner's zone, two days before the due date."""
    day = item.due_on - dt.timedelta(days=REMIND_DAYS_BEFORE)
    return dt.datetime.combine(day, dt.time(REMIND_HOUR), tzinfo=item.owner.zone)


def overdue_at(item: ActionItem) -> dt.datetime:
    """The due date has passed: midnight after it, in the owner's zone."""
    return dt.datetime.combine(item.due_on + dt.timedelta(days=1), dt.time(0), tzinfo=item.owner.zone)


def action_timer(item: ActionItem, now: dt.datetime) -> None:
    key = str(item.pk)
    if item.status not in OPEN_ACTION_STATUSES:
        timer_cancel(kind=timers.ACTION_DUE, key=key)
        return
    if remind_at(item) > now:
        timer_set(kind=timers.ACTION_DUE, key=key, due_at=remind_at(item), payload={"stage": "reminder"})
    else:
        timer_set(
            kind=timers.ACTION_DUE, key=key, due_at=max(overdue_at(item), now), payload={"stage": "overdue"}
        )


def _link(value: Any) -> str:
    """A link to what the item changes (a runbook, KB article, monitor): shown, never fetched,
    so only its form is checked: an http(s) URL or a path on this site."""
    text = str(value or "").strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if len(text) > 500 or not ((parts.scheme in ("http", "https") and parts.netloc) or text.startswith("/")):
        raise InvalidInput("link must be an http(s) URL or a path starting with /.", field="link")
    return text


def _clean(item: ActionItem, data: dict[str, Any], actor: access.ActorLike) -> list[str]:
    """Apply `data` to `item`; returns the changed field names. InvalidInput names the field."""
    changed = []
    for name, value in data.items():
        if name == "title":
            value = str(value or "").strip()
            if not value or len(value) > 300:
                raise InvalidInput("title must be 1 to 300 characters.", field="title")
        elif name == "kind":
            if value not in ActionKind.values:
                raise InvalidInput(f"kind must be one of {', '.join(ActionKind.values)}.", field="kind")
        elif name == "status":
            if value not in ActionStatus.values:
                raise InvalidInput(f"status must be one of {', '.join(ActionStatus.values)}.", field="status")
        elif name == "due_on":
            if not isinstance(value, dt.date):
                raise InvalidInput("due_on must be a date (YYYY-MM-DD).", field="due_on")
        elif name == "owner":
            user = User.objects.filter(pk=value).first() if isinstance(value, int) else None
            if user is None or not access.may_work_on(user, client_id=item.client_id):
                raise InvalidInput("No such person can own this action item.", field="owner")
            value = user
        elif name == "event_rule":
            if value is not None:
                value = access.reference(
                    actor, EventRule.objects.filter(client_id=item.client_id), label="event_rule", pk=value
                )
        elif name == "link":
            value = _link(value)
        elif name == "note":
            value = str(value or "")[:4000]
        else:
            raise InvalidInput(f"Unknown action item field '{name}'.", field=name)
        current = getattr(item, f"{name}_id") if name in ("owner", "event_rule") else getattr(item, name)
        new = getattr(value, "pk", value) if name in ("owner", "event_rule") else value
        if current != new:
            setattr(item, name, value)
            changed.append(name)
    return changed


def action_item_add(*, review: Review, by: access.ActorLike, via: str = "console", **data: Any) -> ActionItem:
    access.require(by, "incidents.respond", client=review.client)
    for name in ("title", "kind", "owner", "due_on"):
        if data.get(name) in (None, ""):
            raise InvalidInput(f"An action item needs {name.replace('_', ' ')}.", field=name)
    item = ActionItem(review=review, client_id=review.client_id)
    _clean(item, data, by)
    with transaction.atomic():
        item.save()
        action_timer(item, clock.now())
        audit_record(actor=by, action="reviews.action.add", obj=item, after=snapshot(item), via=via)
    return item


def action_item_update(
    *, item: ActionItem, by: access.ActorLike, via: str = "console", **data: Any
) -> ActionItem:
    access.require(by, "incidents.respond", client=item.client)
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().select_related("owner").get(pk=item.pk)
        before = snapshot(item)
        changed = _clean(item, data, by)
        if "status" in changed:
            finished = item.status in (ActionStatus.DONE, ActionStatus.CANCELLED)
            item.completed_at = clock.now() if finished else None
            changed.append("completed_at")
        if not changed:
            return item
        item.save(update_fields=item.touch_fields(*changed))
        if {"status", "due_on", "owner"} & set(changed):
            action_timer(item, clock.now())
        audit_record(
            actor=by, action="reviews.action.update", obj=item, before=before, after=snapshot(item), via=via
        )
    return item
