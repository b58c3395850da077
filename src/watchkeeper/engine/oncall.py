"""On-call hand-offs: the `oncall.handoff` timer (key: schedule id) tells people when they go
on and off call, then re-arms itself for the schedule's next hand-off."""

from __future__ import annotations

import datetime as dt

from watchkeeper.core.models import Timer
from watchkeeper.core.timers import timer_set
from watchkeeper.engine.timers import timer_handler
from watchkeeper.oncall import notices
from watchkeeper.oncall.models import Notice, Schedule
from watchkeeper.oncall.services import HANDOFF_TIMER
from watchkeeper.paging.services.notify import notification_send

# With no hand-off in sight, look again after this long (a layer may start later).
RECHECK = dt.timedelta(days=1)


@timer_handler(HANDOFF_TIMER)
def handoff(timer: Timer, now: dt.datetime) -> None:
    if not Schedule.objects.filter(pk=int(timer.key)).exists():
        return  # deleted: nothing to tell, and no reason to look again
    upcoming = notices.handoff_reconcile(schedule_id=int(timer.key), now=now)
    timer_set(kind=HANDOFF_TIMER, key=timer.key, due_at=min(upcoming or now + RECHECK, now + RECHECK))


@timer_handler(notices.NOTICE_TIMER)
def notice_deliver(timer: Timer, now: dt.datetime) -> None:
    """Hand one recorded notice to paging's outbox (idempotent by the notice's dedup key)."""
    notice = Notice.objects.select_related("user").filter(pk=int(timer.key)).first()
    if notice is None or not notice.user.is_active:
        return
    notification_send(
        user=notice.user, subject=notice.subject, text=notice.text, dedup_key=notice.dedup_key, urgency="low"
    )
