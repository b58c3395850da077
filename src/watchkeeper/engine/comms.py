"""The comms app's adapters. Timers: `comms.incident` (announce the incident's new events, keep
its cadence), `comms.remind` and `comms.overdue` (the cadence's two moments, fenced on the due
time in their payload). Outbox: the client updates' e-mails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from watchkeeper.comms.cadence import comms_overdue, comms_remind
from watchkeeper.comms.delivery import update_deliver, updates_deliver
from watchkeeper.comms.models import UpdateDelivery
from watchkeeper.comms.services import comms_incident_reconcile
from watchkeeper.core.models import Timer


def incident_changed(timer: Timer, now: dt.datetime) -> None:
    comms_incident_reconcile(incident_id=int(timer.key), now=now)


def remind(timer: Timer, now: dt.datetime) -> None:
    comms_remind(incident_id=int(timer.key), due=str(timer.payload.get("due", "")), now=now)


def overdue(timer: Timer, now: dt.datetime) -> None:
    comms_overdue(incident_id=int(timer.key), due=str(timer.payload.get("due", "")), now=now)


def update_send(row: UpdateDelivery, owner: str) -> None:
    update_deliver(row=row, owner=owner)


def updates_send(rows: list[UpdateDelivery], owner: str) -> None:
    updates_deliver(rows=rows, owner=owner)


def incidents_changed(timers: Sequence[Timer], now: dt.datetime) -> None:
    """`comms.incident` in a batch: each incident reconciled as alone, in incident order (the
    lock order of every batch, so engines cannot deadlock each other)."""
    for timer in sorted(timers, key=lambda timer: int(timer.key)):
        incident_changed(timer, now)
