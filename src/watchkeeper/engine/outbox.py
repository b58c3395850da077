"""Delivering the outbox: claim due messages in batches under a lease, send each, record.

Claiming is one short transaction (SKIP LOCKED on PostgreSQL, so several engines share the
work; SQLite has one writer). The send happens after that commit, outside any transaction; the
result is recorded in another. A message whose lease expired while `sending` (its engine died
mid-send) is claimed again and re-sent: at most one duplicate per crash, never a lost page.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from watchkeeper.core import clock
from watchkeeper.engine.timers import WORKER_ID
from watchkeeper.paging.models import MessageState, OutboxMessage
from watchkeeper.paging.services.outbox import message_deliver

log = logging.getLogger("watchkeeper.engine")


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "OUTBOX_LEASE_SECONDS", 60)))


def _due(now: dt.datetime) -> Q:
    return Q(state=MessageState.PENDING, due_at__lte=now) | Q(state=MessageState.SENDING, lease_until__lt=now)


def outbox_claim(*, now: dt.datetime, limit: int = 50) -> list[OutboxMessage]:
    """Lease up to `limit` due messages (pending, or sending under an expired lease)."""
    with transaction.atomic():
        query = OutboxMessage.objects.filter(_due(now)).order_by("due_at", "id")
        if transaction.get_connection().vendor == "postgresql":
            query = query.select_for_update(skip_locked=True)
        ids = list(query.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxMessage.objects.filter(_due(now), id__in=ids).update(
            state=MessageState.SENDING, lease_owner=WORKER_ID, lease_until=now + _lease(),
            attempts=F("attempts") + 1,
        )  # fmt: skip
    claimed = OutboxMessage.objects.filter(id__in=ids, state=MessageState.SENDING, lease_owner=WORKER_ID)
    related = claimed.select_related("user", "contact_method", "incident__client", "incident__service")
    return list(related.order_by("due_at", "id"))


def outbox_reap(*, now: dt.datetime) -> int:
    """Return messages whose lease expired mid-send to pending (they are sent again)."""
    expired = OutboxMessage.objects.filter(state=MessageState.SENDING, lease_until__lt=now)
    return expired.update(state=MessageState.PENDING, lease_owner="", lease_until=None)


def outbox_run_due(*, limit: int = 50) -> int:
    """Claim and deliver one batch; returns how many messages were handled."""
    batch = outbox_claim(now=clock.now(), limit=limit)
    for message in batch:
        try:
            message_deliver(message=message, owner=WORKER_ID)
        except Exception:
            # The lease expires and the message is retried; one bad message does not stop the rest.
            log.exception("delivering outbox message %s failed", message.pk)
    return len(batch)
