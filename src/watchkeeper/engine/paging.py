"""Paging's adapters: reconcile an incident's escalation, fire escalation steps (timers), deliver
outbox messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from watchkeeper.core.models import Timer
from watchkeeper.engine.outbox import Steps
from watchkeeper.paging.delivery import Delivery
from watchkeeper.paging.models import OutboxMessage
from watchkeeper.paging.services import outbox
from watchkeeper.paging.services.escalation import escalation_reconcile, escalation_steps


def incident_changed(timer: Timer, now: dt.datetime) -> None:
    escalation_reconcile(incident_id=int(timer.key), changed_at=min(timer.due_at, now))


def incidents_changed(timers: Sequence[Timer], now: dt.datetime) -> None:
    """`paging.incident` in a batch: each incident reconciled as alone, in incident order (the
    lock order of every batch, so engines cannot deadlock each other)."""
    for timer in sorted(timers, key=lambda timer: int(timer.key)):
        incident_changed(timer, now)


def steps(timers: Sequence[Timer], now: dt.datetime) -> None:
    escalation_steps(steps=[(timer.key, timer.due_at) for timer in timers])


def message_deliver(message: OutboxMessage, owner: str) -> None:
    outbox.message_deliver(message=message, owner=owner)


def message_prepare(message: OutboxMessage, owner: str) -> outbox.Job | str:
    return outbox.message_prepare(message=message, owner=owner)


def message_record(message: OutboxMessage, result: Delivery, owner: str) -> None:
    outbox.message_record(message=message, result=result, owner=owner)


MESSAGE_STEPS = Steps(
    job=outbox.Job, prepare=message_prepare, send=outbox.message_send, record=message_record,
    timed_out=lambda seconds: outbox.message_timed_out(seconds=seconds),
    crashed=lambda error: outbox.message_crashed(error=error),
    share=lambda message: message.incident.client_id if message.incident_id else None,
)  # fmt: skip
