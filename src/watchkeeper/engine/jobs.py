"""The periodic jobs the engine runs, each an adapter of one service call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.sessions.models import Session

from watchkeeper.accounts.services import login_failures_prune
from watchkeeper.alerts.services.heartbeats import heartbeat_check_overdue
from watchkeeper.core import clock
from watchkeeper.engine.outbox import outbox_reap
from watchkeeper.incidents.services import incident_priority_ranks_refresh
from watchkeeper.sla.delivery import sla_reports_send


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[], str]


def _prune_login_failures() -> str:
    return f"{login_failures_prune()} login failures forgotten"


def _heartbeats() -> str:
    return f"{heartbeat_check_overdue()} missed heartbeats alerted"


def _prune_sessions() -> str:
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return f"{deleted} expired sessions removed"


def _priority_ranks() -> str:
    return f"{incident_priority_ranks_refresh()} incidents re-ranked to the policy's priority order"


def _sla_reports() -> str:
    return f"{sla_reports_send()} monthly SLA reports e-mailed"


def _reap_outbox() -> str:
    return f"{outbox_reap(now=clock.now())} expired outbox leases returned"


JOBS: tuple[Job, ...] = (
    Job("accounts.prune_login_failures", dt.timedelta(minutes=15), _prune_login_failures),
    Job("accounts.prune_sessions", dt.timedelta(hours=6), _prune_sessions),
    Job("alerts.heartbeats", dt.timedelta(minutes=1), _heartbeats),
    Job("incidents.priority_ranks", dt.timedelta(minutes=1), _priority_ranks),
    Job("sla.monthly_reports", dt.timedelta(hours=1), _sla_reports),
    Job("paging.outbox_reap", dt.timedelta(minutes=1), _reap_outbox),
)
