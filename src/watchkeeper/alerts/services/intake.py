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

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Q
from django.db.models.signals import post_delete, post_save

from watchkeeper.alerts.models import InboxEvent, Integration
from watchkeeper.core import clock
from watchkeeper.core.writelock import writer_turn
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
    qs = Integration.objects.select_related("client", "default_service").filter(
        Q(key=key) | Q(previous_key=key, previous_key_expires_at__gt=now),
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
    if integration.key == key:
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


def inbox_accept(
    *, integration: Integration, kind: str, payload: Any, dedup_key: str = "", request_id: str = ""
) -> InboxEvent:
    """Write one accepted event durably: committed when this returns, unless the caller holds a
    transaction, in which case the row is part of it (and only then is its `pk` set: a group
    commit does not read ids back)."""
    row = InboxEvent(
        integration=integration, kind=kind, payload=payload, dedup_key=dedup_key, request_id=request_id
    )
    if connection.in_atomic_block:
        row.save(force_insert=True)
        return row
    return _writer().commit([row])[0]


def inbox_accept_many(*, integration: Integration, kind: str, payloads: list[Any]) -> list[InboxEvent]:
    rows = [InboxEvent(integration=integration, kind=kind, payload=payload) for payload in payloads]
    if connection.in_atomic_block:
        return InboxEvent.objects.bulk_create(rows)
    return _writer().commit(rows)


class _GroupWriter:
    """One thread that commits the rows of all waiting senders together.

    A batch that fails (say, one row the database refuses) is retried row by row, so one bad
    event fails only its own request."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.waiting: queue.SimpleQueue[tuple[list[InboxEvent], Future[list[InboxEvent]]]] = (
            queue.SimpleQueue()
        )
        self.thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self.thread.start()

    def commit(self, rows: list[InboxEvent]) -> list[InboxEvent]:
        done: Future[list[InboxEvent]] = Future()
        self.waiting.put((rows, done))
        return done.result(timeout=COMMIT_TIMEOUT)

    def _run(self) -> None:
        while True:
            batch = [self.waiting.get()]
            count = len(batch[0][0])
            while count < BATCH_LIMIT:
                try:
                    batch.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
                count += len(batch[-1][0])
            self._write(batch)

    def _write(self, batch: list[tuple[list[InboxEvent], Future[list[InboxEvent]]]]) -> None:
        try:
            # Everything but the statement itself happens before taking the write lock, which
            # the other web processes and the engine are waiting for.
            sql, params = _insert_statement([row for rows, _ in batch for row in rows])
            with writer_turn(), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
        except Exception as exc:
            connection.close()  # a broken connection must not poison the next batch
            if len(batch) == 1:
                log.warning("inbox write failed: %s", exc)
                batch[0][1].set_exception(exc)
                return
            for one in batch:
                self._write([one])
            return
        for rows, done in batch:
            done.set_result(rows)


_COLUMNS = ("integration_id", "kind", "payload", "dedup_key", "request_id", "received_at", "status",
            "attempts", "error")  # fmt: skip


def _concrete(column: str) -> Field[Any, Any]:
    # A column is a field's name, or a foreign key's name plus "_id" ("request_id" is a field).
    names = {field.name for field in InboxEvent._meta.concrete_fields}
    field = InboxEvent._meta.get_field(column if column in names else column.removesuffix("_id"))
    if not isinstance(field, Field):  # pragma: no cover — every name in _COLUMNS is a column
        raise TypeError(f"{column} is not a column of the inbox")
    return field


def _insert_statement(rows: list[InboxEvent]) -> tuple[str, list[Any]]:
    """One INSERT of many rows, without the ORM's per-row bookkeeping (measured: it cost more
    than the rest of the request). Values are adapted by the model's own fields."""
    fields = [_concrete(column) for column in _COLUMNS]
    params = [
        field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows for field in fields
    ]
    table = connection.ops.quote_name(InboxEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _COLUMNS)
    values = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * len(rows))
    return f"INSERT INTO {table} ({columns}) VALUES {values}", params  # noqa: S608 — names, not data


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
