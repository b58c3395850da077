"""Everything the engine runs, listed once: each timer kind with its handler, each outbox with
its delivery, each periodic job with its period.

Kinds are constants owned by their apps (`alerts.timers`, `paging.timers`, `sla.timers`,
`oncall.timers`, `chat.timers`, `reviews.timers`);
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
from watchkeeper.chat import timers as chat_timers
from watchkeeper.chat.models import ChatPost
from watchkeeper.comms import timers as comms_timers
from watchkeeper.comms.models import UpdateDelivery
from watchkeeper.engine import alerts, chat, comms, jobs, oncall, paging, reviews, sla
from watchkeeper.engine.jobs import Job
from watchkeeper.engine.outbox import Outbox
from watchkeeper.engine.timers import Batched, Entry
from watchkeeper.oncall import timers as oncall_timers
from watchkeeper.paging import timers as paging_timers
from watchkeeper.paging.models import OutboxMessage
from watchkeeper.reviews import timers as reviews_timers
from watchkeeper.sla import timers as sla_timers
from watchkeeper.sla.models import ReportDelivery

# Handlers that do real work per incident run in smaller chunks: a chunk's transaction holds the
# incidents' locks (and on SQLite the write lock that intake waits for) until it commits, and the
# cycle's time budget is checked between chunks (100 SLA reconciles took seconds under load).
WATCHER_CHUNK = MappingProxyType({"postgresql": 20, "sqlite": 10})

TIMERS: Mapping[str, Entry] = MappingProxyType({
    # The incident's watchers are independent of each other (ADR 0038): each batches on its own.
    alerts_timers.INCIDENT_CHANGED: Batched(alerts.incidents_changed, independent=True),
    paging_timers.INCIDENT_CHANGED: Batched(paging.incidents_changed, independent=True, chunk=WATCHER_CHUNK),
    paging_timers.ESCALATION_STEP: Batched(paging.steps),
    sla_timers.INCIDENT_CHANGED: Batched(sla.incidents_reconcile, independent=True, chunk=WATCHER_CHUNK),
    sla_timers.CLOCK_CHECK: Batched(sla.incidents_reconcile, independent=True, chunk=WATCHER_CHUNK),
    oncall_timers.HANDOFF: oncall.handoff,
    oncall_timers.NOTICE: oncall.notice_deliver,
    chat_timers.INCIDENT_CHANGED: Batched(chat.incidents_changed, independent=True, chunk=WATCHER_CHUNK),
    chat_timers.DIGEST: chat.digest,
    reviews_timers.INCIDENT_RESOLVED: reviews.incident_resolved,
    reviews_timers.REVIEW_DUE: reviews.review_due,
    reviews_timers.ACTION_DUE: reviews.action_due,
    reviews_timers.SUMMARY_MAIL: reviews.summary_mail,
    comms_timers.INCIDENT_CHANGED: Batched(comms.incidents_changed, independent=True, chunk=WATCHER_CHUNK),
    comms_timers.REMIND: comms.remind,
    comms_timers.OVERDUE: comms.overdue,
})  # fmt: skip

# Claimed ahead of every other kind (ADR 0038): the pages of new incidents do not wait for the
# other watchers of a storm's incidents. Both are paging's, so their own order (an acknowledgement's
# reconcile before a later step) is kept.
URGENT_TIMERS: tuple[str, ...] = (paging_timers.INCIDENT_CHANGED, paging_timers.ESCALATION_STEP)

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
CHAT_POSTS = Outbox(
    name="chat.posts", model=ChatPost, deliver=chat.post_deliver, batch=50, related=("channel__client",),
    steps=chat.POST_STEPS,
)  # fmt: skip
COMMS_UPDATES = Outbox(
    name="comms.updates", model=UpdateDelivery, deliver=comms.update_send, batch=100,
    related=("update__incident__client", "update__incident__service"), deliver_batch=comms.updates_send,
)  # fmt: skip
OUTBOXES: tuple[Outbox, ...] = (PAGING_MESSAGES, SLA_REPORTS, CHAT_POSTS, COMMS_UPDATES)

JOBS: tuple[Job, ...] = (
    Job("accounts.prune_login_failures", dt.timedelta(minutes=15), jobs.prune_login_failures),
    Job("accounts.prune_sessions", dt.timedelta(hours=6), jobs.prune_sessions),
    Job("alerts.heartbeats", dt.timedelta(minutes=1), jobs.heartbeats),
    Job("monitoring.rollups", dt.timedelta(minutes=1), jobs.monitoring_rollups),
    Job("monitoring.overdue", dt.timedelta(minutes=1), jobs.monitoring_overdue),
    Job("incidents.priority_ranks", dt.timedelta(minutes=1), jobs.priority_ranks),
    Job("sla.monthly_reports", dt.timedelta(hours=1), jobs.sla_reports),
    Job("chat.prune_posts", dt.timedelta(hours=6), chat.prune_posts),
    # The name predates the SLA reports' outbox; it is a stored row's key, so it stays.
    Job("paging.outbox_reap", dt.timedelta(minutes=1), partial(jobs.outboxes_reap, OUTBOXES)),
)
