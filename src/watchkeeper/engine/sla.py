"""The SLA app's adapters. Timers: `sla.incident` (the incident changed) and `sla.check` (a
warning or breach is due) both reconcile the incident's clocks from its history; the reconcile
is idempotent, so late, repeated or stale firings are harmless. Outbox: the monthly reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from watchkeeper.core.models import Timer
from watchkeeper.sla.delivery import sla_report_deliver
from watchkeeper.sla.models import ReportDelivery
from watchkeeper.sla.services import sla_incident_reconcile


def incident_changed(timer: Timer, now: dt.datetime) -> None:
    sla_incident_reconcile(incident_id=int(timer.key), now=now)


def clock_check(timer: Timer, now: dt.datetime) -> None:
    sla_incident_reconcile(incident_id=int(timer.key.split(":", 1)[0]), now=now)


def incidents_reconcile(timers: Sequence[Timer], now: dt.datetime) -> None:
    """`sla.incident` and `sla.check` in a batch: each incident's clocks reconciled once, in
    incident order (the lock order of every batch)."""
    for incident_id in sorted({int(timer.key.split(":", 1)[0]) for timer in timers}):
        sla_incident_reconcile(incident_id=incident_id, now=now)


def report_deliver(delivery: ReportDelivery, owner: str) -> None:
    sla_report_deliver(delivery=delivery, owner=owner)
