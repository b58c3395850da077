"""The web side of intake: find the integration for a key and put the event in the inbox.

Invariant: `inbox_accept` returns only after the row is committed; the endpoint answers 202
after that, so an accepted event survives any crash.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from watchkeeper.alerts.models import InboxEvent, Integration
from watchkeeper.core import clock


def integration_for_key(key: str, *, type: str | None = None) -> Integration | None:
    """The enabled integration whose current key, or previous key within its grace, is `key`."""
    if not key or len(key) > 64:
        return None
    now = clock.now()
    qs = Integration.objects.select_related("client", "default_service").filter(
        Q(key=key) | Q(previous_key=key, previous_key_expires_at__gt=now),
        is_enabled=True,
        client__is_active=True,
    )
    if type is not None:
        qs = qs.filter(type=type)
    return qs.first()


def inbox_accept(*, integration: Integration, kind: str, payload: Any, dedup_key: str = "") -> InboxEvent:
    """Write one accepted event durably (autocommit: committed when this returns)."""
    with transaction.atomic():
        return InboxEvent.objects.create(
            integration=integration, kind=kind, payload=payload, dedup_key=dedup_key
        )


def inbox_accept_many(*, integration: Integration, kind: str, payloads: list[Any]) -> list[InboxEvent]:
    with transaction.atomic():
        return InboxEvent.objects.bulk_create(
            [InboxEvent(integration=integration, kind=kind, payload=payload) for payload in payloads]
        )
