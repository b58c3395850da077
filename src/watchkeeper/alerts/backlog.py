"""How far behind inbox processing is: the backlog of accepted events not yet processed.

Read by /metrics and /readyz, by the console's banner for MSP owners and admins, and by intake,
which sheds load (503 with Retry-After) only when the backlog passes WATCHKEEPER_INBOX_SHED_DEPTH
(docs/operations.md). Both numbers come from the partial index of pending rows.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from watchkeeper.alerts.models import InboxEvent, InboxStatus
from watchkeeper.core import clock


@dataclass(frozen=True)
class InboxBacklog:
    pending: int  # accepted events not processed yet (failed ones are not counted: they wait for a person)
    oldest_seconds: float  # how long the oldest of them has waited; 0 when there is none

    @property
    def behind(self) -> bool:
        """Whether processing is behind enough to tell the operator (/readyz, the console)."""
        return self.oldest_seconds > settings.INBOX_BEHIND_SECONDS


def inbox_backlog() -> InboxBacklog:
    pending = InboxEvent.objects.filter(status=InboxStatus.PENDING)
    oldest = pending.order_by("id").values_list("received_at", flat=True).first()
    if oldest is None:
        return InboxBacklog(0, 0.0)
    return InboxBacklog(pending.count(), max(0.0, (clock.now() - oldest).total_seconds()))


class _ShedGauge:
    """Each web process's view of the backlog depth for load shedding, read at most once per
    SAMPLE_SECONDS (a count over the pending index; never per request)."""

    SAMPLE_SECONDS = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read_at = -math.inf
        self._pending = 0

    def pending(self) -> int:
        now = time.monotonic()
        if now - self._read_at < self.SAMPLE_SECONDS:
            return self._pending
        with self._lock:
            if now - self._read_at >= self.SAMPLE_SECONDS:
                self._read_at = now  # one reader per interval; the others use the last value
                self._pending = InboxEvent.objects.filter(status=InboxStatus.PENDING).count()
        return self._pending

    def reset(self) -> None:
        self._read_at = -math.inf


shed_gauge = _ShedGauge()


def inbox_shed_retry_after() -> int | None:
    """Seconds a sender should wait when the backlog is past the shedding threshold; None when
    the event may be accepted. 0 turns shedding off."""
    limit = settings.INBOX_SHED_DEPTH
    if not limit:
        return None
    pending = shed_gauge.pending()
    if pending <= limit:
        return None
    return settings.INBOX_SHED_RETRY_AFTER
