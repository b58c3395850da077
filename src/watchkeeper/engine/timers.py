"""Running due timers: claim a batch under a lease, run each kind's handler, complete it fenced.

The registry (`engine/registry.py`) maps each kind to its handler, an adapter in the engine
module of its domain (e.g. `engine/paging.py`). A handler gets the claimed Timer and `now`; it
re-reads its subject under a row lock and acts on what should have happened up to now, so a
late, repeated or stale firing is harmless. It runs inside a transaction; raising rolls back its effects and
the timer is retried with backoff, then parked as failed after MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import traceback
from collections.abc import Callable, Mapping

from django.db import transaction
from django.db.models import Q

from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.core.writelock import writer_turn

log = logging.getLogger("watchkeeper.engine")

Handler = Callable[[Timer, dt.datetime], None]

LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 8
WORKER_ID = f"{socket.gethostname()[:60]}:{os.getpid()}"


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(300, 2**attempts))


def timers_claim(*, now: dt.datetime, limit: int = 100) -> list[Timer]:
    """Lease up to `limit` due timers (pending, or leased with an expired lease) for this worker.
    On PostgreSQL rows are locked with SKIP LOCKED so several engines share the work; SQLite
    has one writer, so the conditional UPDATE alone decides."""
    due = Q(state=TimerState.PENDING, due_at__lte=now) | Q(state=TimerState.LEASED, lease_until__lt=now)
    with writer_turn(), transaction.atomic():
        query = Timer.objects.filter(due).order_by("due_at", "id")
        if transaction.get_connection().vendor == "postgresql":
            query = query.select_for_update(skip_locked=True)
        ids = list(query.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Timer.objects.filter(due, id__in=ids).update(
            state=TimerState.LEASED, lease_owner=WORKER_ID, lease_until=now + LEASE
        )
        return list(Timer.objects.filter(id__in=ids, lease_owner=WORKER_ID, state=TimerState.LEASED))


def timer_run(timer: Timer, *, now: dt.datetime, handler: Handler | None) -> bool:
    """Run one claimed timer with its kind's handler (None: the kind has none, the timer is
    parked as failed). Returns True when the handler succeeded.

    On SQLite the handler's transaction queues for the write lock with the inbox writers
    (`writer_turn`): SQLite's own busy handler sleeps and polls, which starves the web's inbox
    writer when the engine runs thousands of short handler transactions."""
    with writer_turn():
        return _timer_run(timer, now=now, handler=handler)


def _timer_run(timer: Timer, *, now: dt.datetime, handler: Handler | None) -> bool:
    mine = Q(pk=timer.pk, version=timer.version, state=TimerState.LEASED, lease_owner=WORKER_ID)
    if handler is None:
        Timer.objects.filter(mine).update(
            state=TimerState.FAILED, last_error=f"no handler for timer kind '{timer.kind}'"
        )
        return False
    try:
        with transaction.atomic():
            handler(timer, now)
            # Fenced completion: if the timer was set again meanwhile (version moved on), it stays
            # pending for its new due time instead of being marked done.
            Timer.objects.filter(mine).update(state=TimerState.DONE, done_at=clock.now(), lease_until=None)
    except Exception:
        log.exception("timer %s:%s failed", timer.kind, timer.key)
        attempts = timer.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        Timer.objects.filter(mine).update(
            state=TimerState.FAILED if failed else TimerState.PENDING,
            attempts=attempts,
            due_at=now + _backoff(attempts),
            lease_until=None,
            last_error=traceback.format_exc()[-4000:],
        )
        return False
    return True


def timers_run_due(*, handlers: Mapping[str, Handler], limit: int = 100) -> int:
    """Claim and run one batch of due timers, each with its kind's handler; returns how many ran."""
    now = clock.now()
    batch = timers_claim(now=now, limit=limit)
    for timer in batch:
        timer_run(timer, now=now, handler=handlers.get(timer.kind))
    return len(batch)
