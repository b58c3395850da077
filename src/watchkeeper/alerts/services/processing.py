"""The engine side of intake: turn pending inbox rows into alerts and incidents.

Rows are processed in id (arrival) order, except that rows opening a new problem go first when
the inbox is long (`lane.py`, ADR 0038: per-key order holds, global order need not), in batches:
one transaction per batch, one savepoint per row. A row turns `done` in the same transaction as
its effects, so a crash at any point repeats or loses nothing. A row that fails rolls back to its
savepoint (only its own effects), has the attempt counted, and is retried by a later batch or
parked as failed; later rows of the same dedup key wait for it, so events of one key still apply
in arrival order. Only one engine processes the inbox at a time (an advisory lock on
PostgreSQL; SQLite has one writer).

A batch reads once what its rows share (rules, policy, the open alerts of its keys: see
`batch.py`). On SQLite a batch also holds the only write lock, which the web processes need
for their inbox inserts, so it is cut after BATCH_SECONDS, or sooner (after MIN_BATCH_SECONDS)
when a web process is waiting to store accepted events, and the lock handed over between
batches.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from watchkeeper.alerts.events import AlertEvent, EventError
from watchkeeper.alerts.models import InboxEvent, InboxStatus, Integration
from watchkeeper.alerts.redact import ROUTING_KEY, payload_redact
from watchkeeper.alerts.services.apply import event_apply, flapping_settings
from watchkeeper.alerts.services.batch import AlertKey, ApplyCache
from watchkeeper.alerts.services.lane import lane_first
from watchkeeper.alerts.services.news import NewAlerts
from watchkeeper.alerts.services.repeats import Repeats
from watchkeeper.alerts.sources.registry import PARSERS
from watchkeeper.core import clock
from watchkeeper.core.jsonfields import JsonWithout
from watchkeeper.core.writelock import writer_turn, writers_waiting
from watchkeeper.policy.selectors import policy_lookups_cached

log = logging.getLogger("watchkeeper.alerts")

MAX_ATTEMPTS = 5
BATCH_ROWS = 1000
PASS_ROWS = 2000  # rows one call of inbox_process takes on (then timers and the outbox get a turn)
PASS_SECONDS = 0.5  # … or, in the engine's loop, this long, whichever comes first
# How long a batch may hold SQLite's write lock, which web intake waits for (its p99 matters);
# on PostgreSQL intake does not wait for the engine, so batches can run longer.
BATCH_SECONDS = 0.05
BATCH_SECONDS_SERVER = 0.25
# A batch cut short for a waiting web writer still gets this long (SQLite).
MIN_BATCH_SECONDS = 0.005
WRITER_GAP = 0.001  # seconds between two batches on SQLite
CHECK_SECONDS = 0.0005  # how often a batch looks at its budget and at waiting web writers
_INBOX_LOCK = 0x57_4B_49_4E  # "WKIN": the advisory lock id for inbox processing


@contextmanager
def _inbox_lock() -> Iterator[bool]:
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_INBOX_LOCK])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_INBOX_LOCK])


@dataclass
class _Row:
    """An inbox row as the batch reads it: plain values, not a model instance (InboxRow)."""

    pk: int
    integration: Integration
    kind: str
    payload: Any
    dedup_key: str
    attempts: int

    @property
    def integration_id(self) -> int:
        return self.integration.pk


def _rows_read(ids: list[int], integrations: dict[int, Integration]) -> dict[int, _Row]:
    """The still pending rows of `ids`, locked (PostgreSQL), by id."""
    found = list(
        InboxEvent.objects.select_for_update()
        .filter(pk__in=ids, status=InboxStatus.PENDING)
        .values_list("id", "integration_id", "kind", "payload", "dedup_key", "attempts")
    )
    _integrations_load({integration_id for _, integration_id, *_ in found}, integrations)
    return {
        pk: _Row(pk, integrations[integration_id], kind, payload, dedup_key, attempts)
        for pk, integration_id, kind, payload, dedup_key, attempts in found
    }


def parse_row(row: InboxEvent | _Row) -> list[AlertEvent]:
    parser = PARSERS.get(row.kind)
    if parser is None:
        raise EventError([f"no parser for inbox kind '{row.kind}'"])
    return parser(row)


def inbox_process(*, limit: int = PASS_ROWS, seconds: float | None = None) -> int:
    """Process up to `limit` pending rows, or for about `seconds` (the engine's loop passes
    PASS_SECONDS: while the inbox has a backlog, its timers and outbox — the pages of the
    incidents just opened — must still get a turn); returns how many rows were handled."""
    with _inbox_lock() as got:
        if not got:
            return 0
        ids = list(
            InboxEvent.objects.filter(status=InboxStatus.PENDING)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        # New problems first (ADR 0038): a new P1 does not wait behind a storm's repeats.
        ids = lane_first(ids, limit=limit)
        # The policy's matrix is read once per call (a few seconds of work at most): a policy
        # saved meanwhile applies from the next call on.
        with policy_lookups_cached():
            return _batches_process(ids, _Pass(), seconds)


@dataclass
class _Pass:
    """What one call of inbox_process carries from batch to batch."""

    integrations: dict[int, Integration] = field(default_factory=dict)
    # Keys with a row that failed in this pass: their later rows stay pending behind it, in every
    # later batch of the pass too (a batch cut short by its time budget must not forget them;
    # the next pass starts again from the oldest pending row, the failed one).
    waiting: set[AlertKey] = field(default_factory=set)


def _batches_process(ids: list[int], run: _Pass, seconds: float | None) -> int:
    handled = 0
    ends = time.monotonic() + seconds if seconds is not None else math.inf
    while handled < len(ids) and (not handled or time.monotonic() < ends):
        started = time.monotonic()
        did = _batch_process(ids[handled : handled + _batch_size.rows], run)
        _batch_size.adapt(did, time.monotonic() - started)
        handled += did
        if connection.vendor == "sqlite":
            # Let the web processes' inbox writers, woken by our unlock, take the write lock
            # before we take it again: otherwise a busy engine starves intake (measured: 90
            # events/s, p99 0.6 s, instead of hundreds).
            time.sleep(WRITER_GAP)
    return handled


class _BatchSize:
    """Rows per batch, sized from the last batch so one batch takes about its time budget
    (the time budget still cuts a batch that runs slower than expected)."""

    def __init__(self) -> None:
        self.rows = 16

    def adapt(self, rows: int, seconds: float) -> None:
        budget = BATCH_SECONDS if connection.vendor == "sqlite" else BATCH_SECONDS_SERVER
        if rows and seconds > 0:
            self.rows = max(4, min(BATCH_ROWS, int(rows * budget / seconds)))


_batch_size = _BatchSize()


def _batch_process(ids: list[int], run: _Pass) -> int:
    """Process the rows `ids` (in the pass's order) in one transaction; returns how many of them it got
    through (all, unless the time budget ran out first). A batch that fails as a whole (the
    connection, not a row) is done again one row per transaction, which isolates the cause."""
    try:
        with writer_turn(), transaction.atomic():
            return _batch_apply(ids, run)
    except Exception:
        log.exception("inbox batch %s…%s failed; processing its rows one by one", ids[0], ids[-1])
        if not connection.in_atomic_block:  # a broken connection must not fail the retries
            connection.close_if_unusable_or_obsolete()
        for row_id in ids:
            _process_one(row_id, run)
        return len(ids)


def _intake_waits(started: float) -> bool:
    """SQLite: a web process waits to store accepted events, and this batch has had its
    minimum share of the lock (so a steady stream of events cannot stall processing)."""
    return time.monotonic() - started > MIN_BATCH_SECONDS and writers_waiting()


def _batch_apply(ids: list[int], run: _Pass) -> int:
    started = time.monotonic()
    deadline = started + (BATCH_SECONDS if connection.vendor == "sqlite" else BATCH_SECONDS_SERVER)
    integrations = run.integrations
    rows = _rows_read(ids, integrations)
    parsed = {row_id: _parse(row) for row_id, row in rows.items()}
    cache = ApplyCache()
    now = clock.now()
    cache.prefetch(
        events=[
            (integrations[rows[row_id].integration_id], event)
            for row_id, events in parsed.items() if isinstance(events, list) for event in events
        ],
        flapping_minutes=_flapping_minutes(integrations),
        now=now,
    )  # fmt: skip
    repeats, news = Repeats(), NewAlerts()
    done: list[int] = []
    handled = 0
    next_check = started
    for row_id in ids:
        # The clock and the waiting writers are asked at most every CHECK_SECONDS: a folded
        # repeat costs less than the system call.
        if done and (at := time.monotonic()) >= next_check:
            if at > deadline or _intake_waits(started):
                break
            next_check = at + CHECK_SECONDS
        handled += 1
        row = rows.get(row_id)
        if row is None:
            continue  # another engine (or an earlier run) finished it: fenced
        if _row_apply(
            row, parsed[row_id], integrations[row.integration_id], cache, (repeats, news), run.waiting
        ):
            done.append(row_id)
    news.flush(cache)  # before the rows turn done, in the same transaction
    repeats.flush()
    InboxEvent.objects.filter(pk__in=done).update(
        status=InboxStatus.DONE, processed_at=clock.now(), attempts=F("attempts") + 1,
        payload=JsonWithout("payload", ROUTING_KEY),
    )  # fmt: skip
    return handled


def _row_apply(
    row: _Row,
    events: list[AlertEvent] | Exception,
    integration: Integration,
    cache: ApplyCache,
    deferred: tuple[Repeats, NewAlerts],
    waiting: set[AlertKey],
) -> bool:
    """Apply one row; True when it is done. Repeats of open alerts are folded per key and plain
    new problems deferred (no statement until the flush); anything else runs under its own
    savepoint, and a failure rolls back the row's effects only, records the attempt, and makes
    later rows of its keys wait."""
    repeats, news = deferred
    keys = {(row.integration_id, event.dedup_key) for event in events} if isinstance(events, list) else set()
    if keys & waiting:
        return False  # stays pending behind the failed row of its key
    try:
        if isinstance(events, list):
            if keys & news.keys:
                news.flush(cache)  # a later event of a new problem: it applies to the new alert
            now = clock.now()
            if repeats.try_fold(integration=integration, events=events, cache=cache, now=now):
                return True
            if news.try_defer(integration=integration, events=events, cache=cache, now=now):
                return True
        # What was deferred is written first, outside the savepoint: it belongs to rows that
        # are done, and this row must see it (a resolve after repeats; an alert that joins the
        # incident of its group).
        news.flush(cache)
        repeats.flush_keys(keys, cache)
        with transaction.atomic():
            if isinstance(events, Exception):
                raise events
            for event in events:
                event_apply(integration=integration, event=event, cache=cache)
    except Exception as exc:
        log.exception("inbox event %s failed", row.pk)
        # The cache may hold what the savepoint just rolled back; what it forgets is read again,
        # so nothing folded or deferred may stay unwritten behind it.
        news.flush(cache)
        repeats.flush()
        cache.forget()
        waiting |= keys
        _failure_record(row, exc)
        return False
    return True


def _parse(row: _Row) -> list[AlertEvent] | Exception:
    try:
        return parse_row(row)
    except Exception as exc:  # recorded against the row when its turn comes
        return exc


def _integrations_load(ids: set[int], integrations: dict[int, Integration]) -> None:
    missing = ids - set(integrations)
    if missing:
        for integration in Integration.objects.select_related("client", "default_service").filter(
            pk__in=missing
        ):
            integrations[integration.pk] = integration


def _flapping_minutes(integrations: dict[int, Integration]) -> dict[int, int]:
    """Each integration's flapping window in minutes; absent where flapping detection is off."""
    minutes = {}
    for pk, integration in integrations.items():
        changes, window = flapping_settings(integration)
        if changes > 0:
            minutes[pk] = window
    return minutes


def _failure_record(row: InboxEvent | _Row, exc: Exception) -> None:
    """Keep the event: count the attempt, and park it as failed after MAX_ATTEMPTS (or at once
    when it cannot be parsed) so one poison event cannot block the inbox. Failed rows are
    visible and can be retried. Caller is in a transaction."""
    attempts = row.attempts + 1
    status = InboxStatus.PENDING
    if attempts >= MAX_ATTEMPTS or isinstance(exc, EventError):
        status = InboxStatus.FAILED
    InboxEvent.objects.filter(pk=row.pk).update(
        attempts=attempts, error=f"{type(exc).__name__}: {exc}"[:4000], status=status
    )


def _process_one(row_id: int, run: _Pass) -> None:
    """One row in its own transaction: the fallback when a whole batch fails. Keys of a row
    that failed earlier in the pass keep waiting here too."""
    keys: set[AlertKey] = set()
    try:
        with writer_turn(), transaction.atomic():
            row = InboxEvent.objects.select_for_update().filter(pk=row_id, status=InboxStatus.PENDING).first()
            if row is None:
                return
            events = parse_row(row)
            keys = {(row.integration_id, event.dedup_key) for event in events}
            if keys & run.waiting:
                return
            _integrations_load({row.integration_id}, run.integrations)
            for event in events:
                event_apply(integration=run.integrations[row.integration_id], event=event)
            row.status, row.processed_at, row.attempts = InboxStatus.DONE, clock.now(), row.attempts + 1
            row.payload = payload_redact(row.payload)
            row.save(update_fields=["status", "processed_at", "attempts", "payload"])
    except Exception as exc:
        log.exception("inbox event %s failed", row_id)
        run.waiting |= keys
        with writer_turn(), transaction.atomic():
            row = InboxEvent.objects.select_for_update().get(pk=row_id)
            _failure_record(row, exc)
