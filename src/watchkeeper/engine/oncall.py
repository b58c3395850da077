"""Timer handlers of on-call: adapters of the `oncall.handoff` and `oncall.notice` timers.

The notice goes to paging's outbox here rather than from the oncall app because paging reads
schedules (oncall sits below paging and may not call it)."""

from __future__ import annotations

import datetime as dt

from watchkeeper.core.models import Timer
from watchkeeper.oncall.notices import handoff_notify
from watchkeeper.oncall.selectors import notice_to_deliver
from watchkeeper.paging.services.notify import notification_send


def handoff(timer: Timer, now: dt.datetime) -> None:
    handoff_notify(schedule_id=int(timer.key), now=now)


def notice_deliver(timer: Timer, now: dt.datetime) -> None:
    """Idempotent: paging's outbox is unique by the notice's dedup key."""
    notice = notice_to_deliver(notice_id=int(timer.key))
    if notice is not None:
        notification_send(
            user=notice.user,
            subject=notice.subject,
            text=notice.text,
            dedup_key=notice.dedup_key,
            urgency="low",
        )
