"""Everything the engine runs, listed once: each timer kind with its handler, each outbox with
its delivery, each periodic job with its period.

Kinds are constants owned by their apps (`alerts.timers`, `paging.timers`, `sla.timers`,
`oncall.timers`);
handlers are adapters of a few lines in the engine module of their domain. Nothing registers
itself as a side effect of an import: a kind missing here is a timer parked as failed ("no
handler"), and tests check that every kind the apps set is listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import partial
from types import MappingProxyType

from watchkeeper.alerts import timers as alerts_timers
from watchkeeper.engine import alerts, jobs, oncall, paging, sla
from watchkeeper.engine.jobs import Job
from watchkeeper.engine.outbox import Outbox
from watchkeeper.engine.timers import Batched, Entry
from watchkeeper.oncall import timers as oncall_timers
from watchkeeper.paging import timers as paging_timers
from watchkeeper.paging.models import OutboxMessage
from watchkeeper.sla import timers as sla_timers
from watchkeeper.sla.models import ReportDelivery

TIMERS: Mapping[str, Entry] = MappingProxyType({
    alerts_timers.INCIDENT_CHANGED: alerts.incident_changed,
    paging_timers.INCIDENT_CHANGED: paging.incident_changed,
    paging_timers.ESCALATION_STEP: Batched(paging.steps),
    sla_timers.INCIDENT_CHANGED: sla.incident_changed,
    sla_timers.CLOCK_CHECK: sla.clock_check,
    oncall_timers.HANDOFF: oncall.handoff,
    oncall_timers.NOTICE: oncall.notice_deliver,
})  # fmt: skip

PAGING_MESSAGES = Outbox(
    name="paging.messages", model=OutboxMessage, deliver=paging.message_deliver, batch=50,
    related=("user", "contact_method", "incident__client", "incident__service"),
    steps=paging.MESSAGE_STEPS,
)  # fmt: skip
# Two reports per cycle: rendering one takes a while, and pages queued behind them must not wait.
SLA_REPORTS = Outbox(
    name="sla.reports", model=ReportDelivery, deliver=sla.report_deliver, batch=2, related=("client",),
    lease_seconds=600,
)  # fmt: skip
OUTBOXES: tuple[Outbox, ...] = (PAGING_MESSAGES, SLA_REPORTS)

JOBS: tuple[Job, ...] = (
    Job("accounts.prune_login_failures", dt.timedelta(minutes=15), jobs.prune_login_failures),
    Job("accounts.prune_sessions", dt.timedelta(hours=6), jobs.prune_sessions),
    Job("alerts.heartbeats", dt.timedelta(minutes=1), jobs.heartbeats),
    Job("monitoring.rollups", dt.timedelta(minutes=1), jobs.monitoring_rollups),
    Job("monitoring.overdue", dt.timedelta(minutes=1), jobs.monitoring_overdue),
    Job("incidents.priority_ranks", dt.timedelta(minutes=1), jobs.priority_ranks),
    Job("sla.monthly_reports", dt.timedelta(hours=1), jobs.sla_reports),
    # The name predates the SLA reports' outbox; it is a stored row's key, so it stays.
    Job("paging.outbox_reap", dt.timedelta(minutes=1), partial(jobs.outboxes_reap, OUTBOXES)),
)
