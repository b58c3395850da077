"""Timer handlers of paging: reconcile an incident's escalation, fire escalation steps."""

from __future__ import annotations

import datetime as dt

from watchkeeper.core.models import Timer
from watchkeeper.engine.timers import timer_handler
from watchkeeper.paging.services.escalation import STEP, escalation_reconcile, escalation_step


@timer_handler("paging.incident")
def reconcile(timer: Timer, now: dt.datetime) -> None:
    escalation_reconcile(incident_id=int(timer.key), changed_at=min(timer.due_at, now))


@timer_handler(STEP)
def step(timer: Timer, now: dt.datetime) -> None:
    escalation_step(key=timer.key, due_at=timer.due_at)
