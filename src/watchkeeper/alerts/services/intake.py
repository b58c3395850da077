"""The web side of intake: find the integration for a key and put the event in the inbox.

Invariant: `inbox_accept` returns only after the row is committed (or, when the caller holds a
transaction, as part of it); the endpoint answers 202 after that, so an accepted event survives
any crash.

Two things make intake fast without weakening that promise:

- Group commit. Outside a transaction, rows go to one writer thread per process, which inserts
  everything waiting in one transaction and wakes each sender once it has committed. SQLite
  has one writer at a time and PostgreSQL flushes its log on every commit, so one commit for
  many events is what lets a web process take thousands of events per second. The thread keeps
  its connection open, so a request that finds its integration in the cache opens none.
- A short per-process cache of integrations by key. A change saved in this process clears it;
  a change made elsewhere (another web process, the CLI) takes effect within INTEGRATION_TTL.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from watchkeeper.alerts.models import InboxEvent, Integration
from watchkeeper.core import clock
from watchkeeper.core.crypto import lookup_hash
from watchkeeper.core.wake import NOTIFY, engines_wake
from watchkeeper.core.writelock import checkpoints_offload, writer_turn
from watchkeeper.tenancy.models import Client, Service

log = logging.getLogger("watchkeeper.alerts")

INTEGRATION_TTL = 5.0  # seconds a looked-up integration is trusted without asking the database
COMMIT_TIMEOUT = 30.0  # a sender gives up (and answers 5xx, so its client retries) after this
BATCH_LIMIT = 500  # rows per group commit

# --- integrations by key ------------------------------------------------------------------------

_integrations: dict[tuple[str, str | None], tuple[float, Integration]] = {}
_CACHE_LIMIT = 10_000


def integration_for_key(key: str, *, type: str | None = None) -> Integration | None:
    """The enabled integration whose current key, or previous key within its grace, is `key`."""
    if not key or len(key) > 64:
        return None
    cached = _integrations.get((key, type))
    if cached is not None and cached[0] > time.monotonic() and _key_valid(cached[1], key):
        return cached[1]
    now = clock.now()
    digest = lookup_hash(key)
    qs = Integration.objects.select_related("client", "default_service").filter(
        Q(key_hash=digest) | Q(previous_key_hash=digest, previous_key_expires_at__gt=now),
        is_enabled=True,
        client__is_active=True,
    )
    if type is not None:
        qs = qs.filter(type=type)
    integration = qs.first()
    if integration is not None:
        if len(_integrations) >= _CACHE_LIMIT:
            _integrations.clear()
        _integrations[(key, type)] = (time.monotonic() + INTEGRATION_TTL, integration)
    return integration


def _key_valid(integration: Integration, key: str) -> bool:
    """A previous key stops working at its expiry even while its integration is cached."""
    if hmac.compare_digest(integration.key, key):
        return True
    expires = integration.previous_key_expires_at
    return expires is not None and expires > clock.now()


def integration_cache_clear(**_: Any) -> None:
    _integrations.clear()


# Saving an integration, its client or a service (in this process) must be seen at once.
for _model in (Integration, Client, Service):
    post_save.connect(integration_cache_clear, sender=_model, dispatch_uid=f"intake-cache-{_model.__name__}")
    post_delete.connect(
        integration_cache_clear, sender=_model, dispatch_uid=f"intake-cache-d-{_model.__name__}"
    )


# --- the inbox ------------------------------------------------------------------------------


class _Row(NamedTuple):
    """An inbox row on its way to the writer: plain values, adapted by the writer per batch.

    `payload_json` is the payload as JSON text: the request's own body when it is stored as it
    came, so nobody serialises again what was just parsed."""

    integration_id: int
    kind: str
    payload_json: str
    dedup_key: str
    request_id: str
    received_at: dt.datetime


def inbox_accept(
    *,
    integration: Integration,
    kind: str,
    payload: Any,
    dedup_key: str = "",
    request_id: str = "",
    payload_json: str | None = None,
) -> None:
    """Write one accepted event durably: committed when this returns, unless the caller holds a
    transaction, in which case the row is part of it.

    `payload_json`, when given, is `payload` as JSON text (the body as received); the caller
    vouches that it parses to `payload`."""
    if connection.in_atomic_block:
        inbox_add(
            integration=integration, kind=kind, payload=payload, dedup_key=dedup_key, request_id=request_id
        )
        return
    text = payload_json if payload_json is not None else json.dumps(payload)
    _writer().commit([_Row(integration.pk, kind, text, dedup_key, request_id, clock.now())])


def inbox_add(
    *, integration: Integration, kind: str, payload: Any, dedup_key: str = "", request_id: str = ""
) -> InboxEvent:
    """One inbox row as part of the caller's transaction (committed with it)."""
    row = InboxEvent(
        integration=integration, kind=kind, payload=payload, dedup_key=dedup_key, request_id=request_id
    )
    row.save(force_insert=True)
    return row


def inbox_accept_many(*, integration: Integration, kind: str, payloads: list[Any]) -> None:
    if connection.in_atomic_block:
        InboxEvent.objects.bulk_create(
            [
                InboxEvent(integration=integration, kind=kind, payload=payload, dedup_key=_key(kind, payload))
                for payload in payloads
            ]
        )
        return
    now = clock.now()
    _writer().commit([_Row(integration.pk, kind, json.dumps(p), _key(kind, p), "", now) for p in payloads])


def _key(kind: str, payload: Any) -> str:
    """The key a PagerDuty event's row names, as its endpoint stores it (ADR 0038)."""
    key = payload.get("dedup_key") if kind == "pagerduty" and isinstance(payload, dict) else None
    return key if isinstance(key, str) and len(key) <= 255 else ""


class _GroupWriter:
    """One thread that commits the rows of all waiting senders together.

    It talks to its database connection below the ORM (one INSERT of plain values, BEGIN and
    COMMIT on the driver's connection): with the ORM's per-row and per-call bookkeeping the
    writer spent about 0.4 ms of CPU per event, more than the rest of the request (measured in
    bench/ingest). A batch that fails (say, one row the database refuses) is retried row by
    row, so one bad event fails only its own request."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.waiting: queue.SimpleQueue[tuple[list[_Row], Future[None]]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self.thread.start()

    def commit(self, rows: list[_Row]) -> None:
        done: Future[None] = Future()
        self.waiting.put((rows, done))
        done.result(timeout=COMMIT_TIMEOUT)

    def _run(self) -> None:
        checkpoints_offload()  # SQLite: no commit of ours waits for a WAL checkpoint
        wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own connection, kept open
        while True:
            batch = [self.waiting.get()]
            count = len(batch[0][0])
            while count < BATCH_LIMIT:
                try:
                    batch.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
                count += len(batch[-1][0])
            try:
                self._write(wrapper, batch)
            except BaseException as exc:  # the thread must outlive any batch: senders wait on it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)

    def _write(self, wrapper: BaseDatabaseWrapper, batch: list[tuple[list[_Row], Future[None]]]) -> None:
        try:
            # Everything but the statement itself happens before taking the write lock, which
            # the other web processes and the engine are waiting for.
            sql, params = insert_statement(wrapper, [row for rows, _ in batch for row in rows])
            wrapper.ensure_connection()
            with writer_turn(wrapper, urgent=True):
                _execute_in_transaction(wrapper, sql, params)
            if wrapper.vendor == "sqlite":  # (PostgreSQL: NOTIFY in the transaction)
                engines_wake(wrapper)  # the engine need not wait for its next poll
        except Exception as exc:
            wrapper.close()  # a broken connection must not poison the next batch
            if len(batch) == 1:
                log.warning("inbox write failed: %s", exc)
                batch[0][1].set_exception(exc)
                return
            for one in batch:
                self._write(wrapper, [one])
            return
        for _, done in batch:
            done.set_result(None)


def _execute_in_transaction(wrapper: BaseDatabaseWrapper, sql: str, params: list[Any]) -> None:
    """One statement in its own transaction on the driver's connection, which Django keeps in
    autocommit mode outside `atomic` (so BEGIN and COMMIT are ours to send), and on PostgreSQL
    the engines' wake-up with it."""
    raw: Any = wrapper.connection
    if wrapper.vendor == "sqlite":
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.execute(sql, params)
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        return
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(NOTIFY)  # sent at commit: the engines need not poll


# Columns the writer fills; the others take their defaults (written out: the INSERT bypasses
# the model's defaults).
_COLUMNS = ("integration_id", "kind", "payload", "dedup_key", "request_id", "received_at")
_CONSTANTS = (("status", "'pending'"), ("attempts", "0"), ("error", "''"))


def insert_statement(wrapper: BaseDatabaseWrapper, rows: list[_Row]) -> tuple[str, list[Any]]:
    """One INSERT of many rows in the driver's own parameter style, and its parameters."""
    mark = "?" if wrapper.vendor == "sqlite" else "%s"
    payload_mark = mark if wrapper.vendor == "sqlite" else "%s::jsonb"
    adapt_time = wrapper.ops.adapt_datetimefield_value
    params: list[Any] = []
    for row in rows:
        params += (row.integration_id, row.kind, row.payload_json, row.dedup_key, row.request_id,
                   adapt_time(row.received_at))  # fmt: skip
    constants = ", ".join(value for _, value in _CONSTANTS)
    one = f"({mark}, {mark}, {payload_mark}, {mark}, {mark}, {mark}, {constants})"
    quote = wrapper.ops.quote_name
    columns = ", ".join(quote(column) for column in (*_COLUMNS, *(name for name, _ in _CONSTANTS)))
    table = quote(InboxEvent._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * len(rows)), params  # noqa: S608


_writer_lock = threading.Lock()
_current: _GroupWriter | None = None


def _writer() -> _GroupWriter:
    """This process's writer, started on first use (after a fork, a new one: threads do not
    survive fork)."""
    global _current
    writer = _current
    if writer is not None and writer.pid == os.getpid():
        return writer
    with _writer_lock:
        if _current is None or _current.pid != os.getpid():
            _current = _GroupWriter()
        return _current
