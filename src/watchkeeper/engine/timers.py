"""Running due timers: claim a batch under a lease, run each kind's handler, complete it fenced.

The registry (`engine/registry.py`) maps each kind to its handler, an adapter in the engine
module of its domain (e.g. `engine/paging.py`). A handler gets the claimed Timer and `now`; it
re-reads its subject under a row lock and acts on what should have happened up to now, so a
late, repeated or stale firing is harmless. It runs inside a transaction; raising rolls back its
effects and the timer is retried with backoff, then parked as failed after MAX_ATTEMPTS.

A kind registered as `Batched` gets all of a batch's timers of that kind in one call and one
transaction, completed together by one fenced UPDATE (ADR 0035): a fenced no-op costs a share of
one query instead of a transaction of its own. If the batch raises, its timers run again one by
one, so one bad timer gets its own retries and does not hold back the others.

The claim is one statement, `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)
RETURNING …` on PostgreSQL (engines skip each other's rows instead of waiting), the same without
the row locks on SQLite, whose one writer decides.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.core.writelock import writer_turn

log = logging.getLogger("watchkeeper.engine")

Handler = Callable[[Timer, dt.datetime], None]


@dataclass(frozen=True)
class Batched:
    """A kind whose claimed timers are handled together: `run(timers, now)` in one transaction.
    It must be as fenced as a single handler: each timer's effect re-checked under its
    subject's lock, and locks taken in one order (e.g. by incident id) so engines cannot
    deadlock.

    `independent`: the kind's handler reconciles its own domain from its subject's state, so
    its timers may run before timers of other independent kinds claimed ahead of them (an
    incident's `alerts.incident`, `paging.incident` and `sla.incident` watchers, set together,
    each form one chunk instead of alternating). Any other timer is a barrier: nothing moves
    past it (an acknowledgement's reconcile must still halt the escalation before a later step).
    `chunk`: timers per transaction by database vendor, for handlers that do real work per
    timer (the transaction holds their locks, and on SQLite the write lock intake waits for)."""

    run: Callable[[Sequence[Timer], dt.datetime], None]
    independent: bool = False
    chunk: Mapping[str, int] | None = None


Entry = Handler | Batched

MAX_ATTEMPTS = 8
# Unique per process even across machines and containers that share a host name and pid (two
# engines as pid 1 with the host's name): the lease fences on it.
WORKER_ID = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
# Timers claimed per cycle. The engine goes round again at once while there is work, so this
# bounds how long inbox processing waits behind timers, not the throughput.
CLAIM = 500
# Timers of a batched kind per transaction; on SQLite each transaction holds the one write lock
# that intake waits for, so it is kept short there.
CHUNK = {"postgresql": 500, "sqlite": 50}
# Seconds of handler time per cycle; the timers of a claim not run by then are handed back.
BUDGET = 1.0

_COLUMNS = ("id", "kind", "key", "due_at", "payload", "state", "version", "lease_owner", "lease_until",
            "attempts", "last_error", "created_at", "done_at")  # fmt: skip


def lease() -> dt.timedelta:
    """WATCHKEEPER_TIMER_LEASE: how long a claim holds; an expired claim is claimed again."""
    return dt.timedelta(seconds=float(getattr(settings, "TIMER_LEASE_SECONDS", 60)))


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(300, 2**attempts))


def _claim_sql(*, vendor: str, kinds: int = 0) -> str:
    """The claim; with `kinds`, only timers of that many kinds (bound parameters after the due
    condition's)."""
    table, q = connection.ops.quote_name(Timer._meta.db_table), connection.ops.quote_name
    lock = " FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    due = f"(({q('state')} = %s AND {q('due_at')} <= %s) OR ({q('state')} = %s AND {q('lease_until')} < %s))"
    if kinds:
        due += f" AND {q('kind')} IN ({', '.join(['%s'] * kinds)})"
    return (
        f"UPDATE {table} SET {q('state')} = %s, {q('lease_owner')} = %s, {q('lease_until')} = %s "  # noqa: S608 — names, not data
        f"WHERE {q('id')} IN (SELECT {q('id')} FROM {table} WHERE {due} "
        f"ORDER BY {q('due_at')}, {q('id')} LIMIT %s{lock}) "
        f"RETURNING {', '.join(q(name) for name in _COLUMNS)}"
    )


def timers_claim(*, now: dt.datetime, limit: int = CLAIM, first: Sequence[str] = ()) -> list[Timer]:
    """Lease up to `limit` due timers (pending, or leased with an expired lease: the reaper) for
    this worker, oldest due first, in one statement. On PostgreSQL SKIP LOCKED lets several
    engines claim at once without waiting for or taking each other's rows; a row another engine
    leased meanwhile is re-checked against the condition and left out.

    `first`: kinds claimed ahead of the others, by a statement of their own (ADR 0038: in a storm
    the SLA clocks of a thousand new incidents must not delay the page of a new P1). They come
    first in the result, each part oldest due first."""
    stamp = Timer._meta.get_field("due_at").get_db_prep_value(now, connection)
    until = Timer._meta.get_field("lease_until").get_db_prep_value(now + lease(), connection)
    head = [TimerState.LEASED, WORKER_ID, until, TimerState.PENDING, stamp, TimerState.LEASED, stamp]
    vendor = connection.vendor
    with writer_turn(), transaction.atomic():
        urgent: list[Timer] = []
        if first:
            sql = _claim_sql(vendor=vendor, kinds=len(first))
            urgent = list(Timer.objects.raw(sql, [*head, *first, limit]))
        rest: list[Timer] = []
        if len(urgent) < limit:
            rest = list(Timer.objects.raw(_claim_sql(vendor=vendor), [*head, limit - len(urgent)]))
    return sorted(urgent, key=_due_order) + sorted(rest, key=_due_order)


def _due_order(timer: Timer) -> tuple[dt.datetime, int]:
    return (timer.due_at, timer.pk)


def _mine(timer: Timer) -> Q:
    return Q(pk=timer.pk, version=timer.version, state=TimerState.LEASED, lease_owner=WORKER_ID)


def _complete(timers: Sequence[Timer]) -> None:
    """Mark done the timers whose claimed version is still current (fencing): a timer set again
    while its handler ran stays pending for its new due time. One UPDATE per version seen."""
    done_at = clock.now()
    by_version = groupby(sorted(timers, key=lambda timer: timer.version), key=lambda timer: timer.version)
    for version, group in by_version:
        ids = [timer.pk for timer in group]
        Timer.objects.filter(
            pk__in=ids, version=version, state=TimerState.LEASED, lease_owner=WORKER_ID
        ).update(state=TimerState.DONE, done_at=done_at, lease_until=None)


def timer_run(timer: Timer, *, now: dt.datetime, handler: Entry | None) -> bool:
    """Run one claimed timer with its kind's handler (None: the kind has none, the timer is
    parked as failed). Returns True when the handler succeeded.

    On SQLite the handler's transaction queues for the write lock with the inbox writers
    (`writer_turn`): SQLite's own busy handler sleeps and polls, which starves the web's inbox
    writer when the engine runs thousands of short handler transactions."""
    with writer_turn():
        return _timer_run(timer, now=now, handler=handler)


def _timer_run(timer: Timer, *, now: dt.datetime, handler: Entry | None) -> bool:
    if handler is None:
        Timer.objects.filter(_mine(timer)).update(
            state=TimerState.FAILED, last_error=f"no handler for timer kind '{timer.kind}'"
        )
        return False
    try:
        with transaction.atomic():
            if isinstance(handler, Batched):
                handler.run([timer], now)
            else:
                handler(timer, now)
            _complete([timer])
    except Exception:
        log.exception("timer %s:%s failed", timer.kind, timer.key)
        attempts = timer.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        Timer.objects.filter(_mine(timer)).update(
            state=TimerState.FAILED if failed else TimerState.PENDING,
            attempts=attempts,
            due_at=now + _backoff(attempts),
            lease_until=None,
            last_error=traceback.format_exc()[-4000:],
        )
        return False
    return True


def _chunks(timers: Sequence[Timer], size: int) -> Iterator[Sequence[Timer]]:
    for start in range(0, len(timers), size):
        yield timers[start : start + size]


def _batch_run(timers: Sequence[Timer], *, now: dt.datetime, batched: Batched) -> None:
    """One transaction for the chunk: the handler, then the fenced completion. On any error the
    chunk is rolled back and its timers run one by one (each failure counted on its own row)."""
    try:
        with writer_turn(), transaction.atomic():
            batched.run(timers, now)
            _complete(timers)
    except Exception:
        log.warning("a batch of %d %s timers failed; running them one by one", len(timers),
                    timers[0].kind, exc_info=True)  # fmt: skip
        for timer in timers:
            timer_run(timer, now=now, handler=batched)


def _release(timers: Sequence[Timer]) -> None:
    """Hand claimed timers back unrun (pending, no lease): the next cycle, or another engine,
    takes them. Their version and attempts are untouched."""
    Timer.objects.filter(
        pk__in=[timer.pk for timer in timers], state=TimerState.LEASED, lease_owner=WORKER_ID
    ).update(state=TimerState.PENDING, lease_owner="", lease_until=None)


Unit = tuple[list[Timer], Entry | None]


def _work_units(batch: Sequence[Timer], handlers: Mapping[str, Entry]) -> list[Unit]:
    """The claim's timers as units of work, in the claim's order (oldest due first): a batched
    kind's consecutive timers form one chunk; an independent kind's timers join its open chunk
    across other independent kinds' timers; any other timer is a unit of its own and closes
    every open chunk (keeping the order matters: an acknowledgement's reconcile due before a
    step must halt the escalation before that step)."""
    vendor = connection.vendor
    work: list[Unit] = []
    open_chunks: dict[str, Unit] = {}  # independent kinds' chunks that may still grow
    for timer in batch:
        handler = handlers.get(timer.kind)
        if isinstance(handler, Batched) and handler.independent:
            size = (handler.chunk or CHUNK).get(vendor, 50)
            unit = open_chunks.get(timer.kind)
            if unit is None or len(unit[0]) >= size:
                unit = open_chunks[timer.kind] = ([], handler)
                work.append(unit)
            unit[0].append(timer)
            continue
        open_chunks.clear()
        last = work[-1] if work else None
        size = (handler.chunk or CHUNK).get(vendor, 50) if isinstance(handler, Batched) else 1
        if isinstance(handler, Batched) and last is not None and last[1] is handler and len(last[0]) < size:
            last[0].append(timer)
        else:
            work.append(([timer], handler))
    return work


def timers_run_due(
    *, handlers: Mapping[str, Entry], limit: int = CLAIM, budget: float = BUDGET, first: Sequence[str] = ()
) -> int:
    """Claim and run one batch of due timers, each with its kind's handler; returns how many ran.
    In the claim's order, in the units of `_work_units`: a chunk of a batched kind in one
    transaction, any other timer in one of its own.
    `first`: kinds claimed and run ahead of the others (`timers_claim`).
    After `budget` seconds the timers not yet run are released: a claim of 500 slow handlers
    must not keep the engine from the inbox for many seconds."""
    now = clock.now()
    started = time.monotonic()
    work = _work_units(timers_claim(now=now, limit=limit, first=first), handlers)
    ran = 0
    for position, (part, handler) in enumerate(work):
        if ran and time.monotonic() - started > budget:
            _release([timer for rest, _ in work[position:] for timer in rest])
            break
        if isinstance(handler, Batched) and len(part) > 1:
            _batch_run(part, now=now, batched=handler)
        else:
            timer_run(part[0], now=now, handler=handler)
        ran += len(part)
    return ran
