"""The periodic jobs' adapters, each one service call; the registry lists the jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.sessions.models import Session

from watchkeeper.accounts.services import login_failures_prune
from watchkeeper.alerts.services.heartbeats import heartbeat_check_overdue
from watchkeeper.core import clock
from watchkeeper.engine.outbox import Outbox, outbox_reap
from watchkeeper.incidents.services import incident_priority_ranks_refresh
from watchkeeper.monitoring.results import overdue_check
from watchkeeper.monitoring.rollups import rollups_run
from watchkeeper.sla.delivery import sla_reports_queue


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[], str]


def prune_login_failures() -> str:
    return f"{login_failures_prune()} login failures forgotten"


def heartbeats() -> str:
    return f"{heartbeat_check_overdue()} missed heartbeats alerted"


def prune_sessions() -> str:
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return f"{deleted} expired sessions removed"


def priority_ranks() -> str:
    return f"{incident_priority_ranks_refresh()} incidents re-ranked to the policy's priority order"


def sla_reports() -> str:
    return f"{sla_reports_queue()} monthly SLA reports queued for e-mail"


def outboxes_reap(outboxes: Sequence[Outbox]) -> str:
    now = clock.now()
    return f"{sum(outbox_reap(outbox=outbox, now=now) for outbox in outboxes)} expired outbox leases returned"


def monitoring_rollups() -> str:
    return rollups_run()


def monitoring_overdue() -> str:
    return overdue_check()
