"""Delivering an outbox: claim due rows in batches under a lease, deliver each, record.

Every outbox (the registry lists them: paging's messages, the SLA reports) is a table of rows
with `state` (pending → sending → …), `due_at`, `attempts`, `lease_owner` and `lease_until`.
Claiming is one short transaction (SKIP LOCKED on PostgreSQL, so several engines share the
work; SQLite has one writer). The delivery runs after that commit, outside any transaction, and
records its answer fenced on the lease. A row whose lease expired while `sending` (its engine
died mid-send) is claimed again and re-sent: at most one duplicate per crash, never a lost page.

An outbox with `Steps` (paging's messages) sends its batch concurrently: each row is prepared
and recorded in the engine's thread (the database), its send runs on a bounded pool of delivery
threads (WATCHKEEPER_DELIVERY_WORKERS), and the engine waits for the batch at most the deadline
(WATCHKEEPER_DELIVERY_DEADLINE). A send still running then is recorded as timed out (retried
later; its late answer is ignored: the record is fenced on the lease), so one silent receiver
delays nothing else by more than the deadline, and everybody else's messages go out meanwhile.

The pool is shared fairly between tenants: each job has a share (paging: the incident's client),
the batch is started round-robin by share, and one share may hold at most half the delivery
threads, counting its sends still running from earlier batches. A client whose receivers all hang
(a noisy neighbour with many incidents) therefore never holds every thread: another client's page
finds a free one at once (issue 12; tests/security/test_noisy_neighbour.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q

from watchkeeper.core import clock
from watchkeeper.engine.timers import WORKER_ID

log = logging.getLogger("watchkeeper.engine")

# The two states every outbox's `state` field has, whatever else it has (sent, failed, …).
PENDING, SENDING = "pending", "sending"


@dataclass(frozen=True)
class Steps:
    """Delivery in steps, for sending on the pool. `prepare(row, owner)` (engine thread) returns
    what to send, or anything that is not a job (a state name) when nothing is to be sent;
    `send(job)` (a delivery thread: no database) returns the answer; `record(row, answer, owner)`
    (engine thread) writes it. `timed_out(seconds)` and `crashed(error)` are the answers recorded
    for a send past the deadline and for a step that raised."""

    job: type
    prepare: Callable[[Any, str], object]
    send: Callable[[Any], object]
    record: Callable[[Any, Any, str], object]
    timed_out: Callable[[float], object]
    crashed: Callable[[Exception], object]
    # The share a claimed row's send counts against (paging: its incident's client; None is a
    # share of its own), so that one tenant's hanging receivers cannot hold every thread.
    share: Callable[[Any], Hashable] = lambda row: None


@dataclass(frozen=True)
class Outbox:
    name: str
    model: type[models.Model]
    # Sends one claimed row (this engine holds its lease, passed as the owner) and records the
    # answer fenced on that lease. Called outside any transaction.
    deliver: Callable[[Any, str], object]
    batch: int
    related: tuple[str, ...] = ()
    # None: WATCHKEEPER_OUTBOX_LEASE. Longer for rows whose delivery takes long (a month's report).
    lease_seconds: float | None = None
    # Set: the batch's sends run concurrently on the delivery pool (`deliver` is then unused).
    steps: Steps | None = None
    # Set: the whole claimed batch is handed over at once (`deliver` is then unused), for an
    # outbox that sends many rows over one connection and records them together (client updates).
    deliver_batch: Callable[[list[Any], str], object] | None = None

    def lease(self) -> dt.timedelta:
        seconds = self.lease_seconds or float(getattr(settings, "OUTBOX_LEASE_SECONDS", 60))
        return dt.timedelta(seconds=seconds)


def _due(now: dt.datetime) -> Q:
    return Q(state=PENDING, due_at__lte=now) | Q(state=SENDING, lease_until__lt=now)


def outbox_claim(*, outbox: Outbox, now: dt.datetime, limit: int | None = None) -> list[Any]:
    """Lease up to `limit` (default: the outbox's batch) due rows: pending, or sending under an
    expired lease. Counts the attempt."""
    rows = outbox.model._default_manager
    # A read first: on SQLite the claim's transaction takes the one write lock, which a busy
    # engine would otherwise take once per outbox per cycle to learn that nothing is due.
    if not rows.filter(_due(now)).exists():
        return []
    with transaction.atomic():
        query = rows.filter(_due(now)).order_by("due_at", "id")
        if transaction.get_connection().vendor == "postgresql":
            query = query.select_for_update(skip_locked=True)
        ids = list(query.values_list("id", flat=True)[: limit or outbox.batch])
        if not ids:
            return []
        rows.filter(_due(now), id__in=ids).update(
            state=SENDING, lease_owner=WORKER_ID, lease_until=now + outbox.lease(), attempts=F("attempts") + 1
        )
    claimed = rows.filter(id__in=ids, state=SENDING, lease_owner=WORKER_ID)
    return list(claimed.select_related(*outbox.related).order_by("due_at", "id"))


def outbox_reap(*, outbox: Outbox, now: dt.datetime) -> int:
    """Return rows whose lease expired mid-send to pending (they are sent again)."""
    expired = outbox.model._default_manager.filter(state=SENDING, lease_until__lt=now)
    return expired.update(state=PENDING, lease_owner="", lease_until=None)


def outbox_run_due(*, outbox: Outbox, limit: int | None = None) -> int:
    """Claim and deliver one batch; returns how many rows were handled."""
    batch = outbox_claim(outbox=outbox, now=clock.now(), limit=limit)
    if outbox.steps is not None:
        _deliver_concurrently(outbox, outbox.steps, batch)
        return len(batch)
    if outbox.deliver_batch is not None and batch:
        try:
            outbox.deliver_batch(batch, WORKER_ID)
        except Exception:
            log.exception("delivering a batch of %s failed", outbox.name)  # the leases expire: retried
        return len(batch)
    for row in batch:
        try:
            outbox.deliver(row, WORKER_ID)
        except Exception:
            # The lease expires and the row is retried; one bad row does not stop the rest.
            log.exception("delivering %s %s failed", outbox.name, row.pk)
    return len(batch)


_pool_lock = threading.Lock()
_pool: futures.ThreadPoolExecutor | None = None


def delivery_pool() -> futures.ThreadPoolExecutor:
    """The process's delivery threads (created on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = int(getattr(settings, "DELIVERY_WORKERS", 8))
            _pool = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery")
        return _pool


def _record(outbox: Outbox, steps: Steps, row: Any, answer: object) -> None:
    try:
        steps.record(row, answer, WORKER_ID)
    except Exception:
        log.exception("recording the delivery of %s %s failed", outbox.name, row.pk)  # lease expires


# Every send under way on the pool (of any batch, any outbox) → its share. A send that outlives
# its batch's deadline still holds its thread, and still counts against its share.
_flying_lock = threading.Lock()
_flying: dict[futures.Future[object], Hashable] = {}


def _launch(steps: Steps, job: object, share: Hashable) -> futures.Future[object]:
    future = delivery_pool().submit(steps.send, job)
    with _flying_lock:
        _flying[future] = share
    future.add_done_callback(_landed)  # runs at once if the send is over already
    return future


def _landed(future: futures.Future[object]) -> None:
    with _flying_lock:
        _flying.pop(future, None)


def _running() -> dict[futures.Future[object], Hashable]:
    with _flying_lock:
        return {future: share for future, share in _flying.items() if not future.done()}


def _round_robin(jobs: list[tuple[Any, object, Hashable]]) -> list[tuple[Any, object, Hashable]]:
    """The jobs with their shares interleaved (A1 A2 A3 B1 → A1 B1 A2 A3), order kept within a
    share: a client with many messages in the batch does not go before everybody else's first."""
    seen: Counter[Hashable] = Counter()
    ranked = []
    for index, (row, job, share) in enumerate(jobs):
        ranked.append((seen[share], index, (row, job, share)))
        seen[share] += 1
    return [entry for _, _, entry in sorted(ranked, key=lambda item: item[:2])]


def _startable(jobs: list[tuple[Any, object, Hashable]], workers: int) -> int | None:
    """The index of the first job that may start now: a delivery thread is free, and its share
    holds fewer than half the threads. None: wait for a send to end."""
    running = _running()
    if len(running) >= workers:
        return None
    held = Counter(running.values())
    limit = max(1, workers // 2)
    return next((i for i, (_, _, share) in enumerate(jobs) if held[share] < limit), None)


def _deliver_concurrently(outbox: Outbox, steps: Steps, batch: list[Any]) -> None:
    """At most WATCHKEEPER_DELIVERY_WORKERS sends are under way at once (half of them at most for
    one share), and each answer is recorded before another send starts: a crash leaves at most
    that many sends unrecorded (each sent again after the lease: a duplicate, never a lost page)."""
    prepared: list[tuple[Any, object, Hashable]] = []
    for row in batch:
        try:
            job = steps.prepare(row, WORKER_ID)
        except Exception as exc:
            log.exception("preparing %s %s failed", outbox.name, row.pk)
            _record(outbox, steps, row, steps.crashed(exc))
            continue
        if isinstance(job, steps.job):
            prepared.append((row, job, steps.share(row)))
    jobs = _round_robin(prepared)
    seconds = float(getattr(settings, "DELIVERY_DEADLINE_SECONDS", 10))
    workers = int(getattr(settings, "DELIVERY_WORKERS", 8))
    deadline = time.monotonic() + seconds
    sending: dict[futures.Future[object], Any] = {}
    while jobs or sending:
        left = deadline - time.monotonic()
        while left > 0 and jobs and (index := _startable(jobs, workers)) is not None:
            row, job, share = jobs.pop(index)
            sending[_launch(steps, job, share)] = row
        # Also wait for earlier batches' sends: one of them ending may free a thread or a share.
        awaited = set(sending) | set(_running())
        if not awaited and left > 0:
            continue  # the sends that held the threads ended just now: start the next jobs
        done, _ = futures.wait(awaited, timeout=max(0.0, left), return_when=futures.FIRST_COMPLETED)
        if not done:
            break
        for future in done & set(sending):
            error = future.exception()
            answer = steps.crashed(error) if isinstance(error, Exception) else future.result()
            _record(outbox, steps, sending.pop(future), answer)
    for late, row in [*sending.items(), *((None, row) for row, _, _ in jobs)]:
        if late is not None:
            late.cancel()  # not started yet (the pool was busy): it never will be
        log.warning("%s %s: no answer within %g s", outbox.name, row.pk, seconds)
        _record(outbox, steps, row, steps.timed_out(seconds))
