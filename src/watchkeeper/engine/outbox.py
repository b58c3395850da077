"""Delivering an outbox: claim due rows in batches under a lease, deliver each, record.

Every outbox (the registry lists them: paging's messages, the SLA reports) is a table of rows
with `state` (pending → sending → …), `due_at`, `attempts`, `lease_owner` and `lease_until`.
Claiming is one short transaction (SKIP LOCKED on PostgreSQL, so several engines share the
work; SQLite has one writer). The delivery runs after that commit, outside any transaction, and
records its answer fenced on the lease. A row whose lease expired while `sending` (its engine
died mid-send) is claimed again and re-sent: at most one duplicate per crash, never a lost page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
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
    for row in batch:
        try:
            outbox.deliver(row, WORKER_ID)
        except Exception:
            # The lease expires and the row is retried; one bad row does not stop the rest.
            log.exception("delivering %s %s failed", outbox.name, row.pk)
    return len(batch)
