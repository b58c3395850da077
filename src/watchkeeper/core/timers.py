"""Writing timers: the one way a service schedules future work (DESIGN.md section 4.2).

Services call these inside their own transaction; the engine claims and runs due timers
(`watchkeeper.engine.timers`). Nothing here runs a handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, transaction

from watchkeeper.core import clock
from watchkeeper.core.models import Timer, TimerState

# Called after commit when a timer became due now or soon, so an idle engine wakes at once
# instead of waiting for its poll. The engine installs its wake-up (an in-process event on
# SQLite, NOTIFY on PostgreSQL); services never import the engine.
_wake_hooks: list[Callable[[], None]] = []


def timer_wake_hook_add(hook: Callable[[], None]) -> None:
    if hook not in _wake_hooks:
        _wake_hooks.append(hook)


def _wake() -> None:
    for hook in _wake_hooks:
        hook()


def timer_set(*, kind: str, key: str, due_at: dt.datetime, payload: dict[str, Any] | None = None) -> None:
    """Schedule (or reschedule) the timer (kind, key) for `due_at`. Idempotent; a timer that
    already exists gets the new due time and payload and runs again even if it ran before."""
    timer_set_many(timers=[(kind, key)], due_at=due_at, payload=payload)


_COLUMNS = ("kind", "key", "due_at", "payload", "state", "version", "lease_owner", "attempts",
            "last_error", "created_at")  # fmt: skip


def timer_set_many(
    *, timers: Sequence[tuple[str, str]], due_at: dt.datetime, payload: dict[str, Any] | None = None
) -> None:
    """`timer_set` for several (kind, key) pairs at once, in one statement.

    An upsert (INSERT … ON CONFLICT DO UPDATE, in SQLite and PostgreSQL alike): an existing
    timer gets the new due time and payload, turns pending, bumps `version` (which fences a
    worker still running the old one) and starts its attempts afresh. One statement and no
    savepoint: this runs for every incident change, often many per engine batch."""
    if due_at.tzinfo is None:
        raise ValueError("timer_set() needs a timezone-aware due time")
    if not timers:
        return
    ops, fields = connection.ops, [Timer._meta.get_field(name) for name in _COLUMNS]
    now = clock.now()
    params: list[Any] = []
    for kind, key in timers:
        values = (kind, key, due_at, payload or {}, TimerState.PENDING, 1, "", 0, "", now)
        params += [
            field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
            for field, value in zip(fields, values, strict=True)
        ]
    table, q = ops.quote_name(Timer._meta.db_table), ops.quote_name
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    refresh = ", ".join(
        f"{q(name)} = excluded.{q(name)}" for name in ("due_at", "payload", "state", "attempts", "last_error")
    )
    columns, rows = ", ".join(q(name) for name in _COLUMNS), ", ".join([row] * len(timers))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {rows} "  # noqa: S608 — names, not data
        f"ON CONFLICT ({q('kind')}, {q('key')}) DO UPDATE SET {refresh}, "
        f"{q('version')} = {table}.{q('version')} + 1, {q('done_at')} = NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    if due_at <= clock.now() + dt.timedelta(seconds=1):
        transaction.on_commit(_wake)


def timer_cancel(*, kind: str, key: str) -> int:
    """Drop a pending timer; returns how many were removed. A timer already leased runs its
    handler, which re-reads its subject and finds nothing to do (handlers are fenced)."""
    deleted, _ = Timer.objects.filter(kind=kind, key=key, state=TimerState.PENDING).delete()
    return deleted


def timer_cancel_prefix(*, kind: str, key_prefix: str) -> int:
    """Drop every pending timer of `kind` whose key starts with `key_prefix`."""
    pending = Timer.objects.filter(kind=kind, key__startswith=key_prefix, state=TimerState.PENDING)
    deleted, _ = pending.delete()
    return deleted
