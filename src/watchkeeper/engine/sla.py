"""SLA timers: `sla.incident` (the incident changed) and `sla.check` (a warning or breach is due)
both reconcile the incident's clocks from its history; the reconcile is idempotent, so late,
repeated or stale firings are harmless."""

from __future__ import annotations

import datetime as dt

from watchkeeper.core.models import Timer
from watchkeeper.engine.timers import timer_handler
from watchkeeper.sla.services import sla_incident_reconcile


@timer_handler("sla.incident")
def incident_changed(timer: Timer, now: dt.datetime) -> None:
    sla_incident_reconcile(incident_id=int(timer.key), now=now)


@timer_handler("sla.check")
def clock_check(timer: Timer, now: dt.datetime) -> None:
    sla_incident_reconcile(incident_id=int(timer.key.split(":", 1)[0]), now=now)
