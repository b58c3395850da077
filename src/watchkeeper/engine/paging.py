"""Paging's adapters: reconcile an incident's escalation, fire escalation steps (timers), deliver
outbox messages."""

from __future__ import annotations

import datetime as dt

from watchkeeper.core.models import Timer
from watchkeeper.paging.models import OutboxMessage
from watchkeeper.paging.services.escalation import escalation_reconcile, escalation_step
from watchkeeper.paging.services.outbox import message_deliver as outbox_message_deliver


def incident_changed(timer: Timer, now: dt.datetime) -> None:
    escalation_reconcile(incident_id=int(timer.key), changed_at=min(timer.due_at, now))


def step(timer: Timer, now: dt.datetime) -> None:
    escalation_step(key=timer.key, due_at=timer.due_at)


def message_deliver(message: OutboxMessage, owner: str) -> None:
    outbox_message_deliver(message=message, owner=owner)
