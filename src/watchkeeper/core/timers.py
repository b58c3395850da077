"""Writing timers: the one way a service schedules future work (DESIGN.md section 4.2).

Services call these inside their own transaction; the engine claims and runs due timers
(`watchkeeper.engine.timers`). Nothing here runs a handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

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
    if due_at.tzinfo is None:
        raise ValueError("timer_set() needs a timezone-aware due time")
    with transaction.atomic():
        updated = Timer.objects.filter(kind=kind, key=key).update(
            due_at=due_at,
            payload=payload or {},
            state=TimerState.PENDING,
            version=F("version") + 1,
            attempts=0,
            last_error="",
            done_at=None,
        )
        if not updated:
            # A concurrent insert of the same (kind, key) loses on the unique constraint; the
            # savepoint keeps the caller's transaction usable and the retry updates instead.
            try:
                with transaction.atomic():
                    Timer.objects.create(kind=kind, key=key, due_at=due_at, payload=payload or {})
            except IntegrityError:  # someone else created it first
                Timer.objects.filter(kind=kind, key=key).update(
                    due_at=due_at, payload=payload or {}, state=TimerState.PENDING, version=F("version") + 1
                )
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
