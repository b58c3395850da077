"""People notices: "you are now on call", "you are off call" and "your shifts changed".

Delivery goes through ONE function, `_deliver`: it records the notice (unique by its dedup key,
so each is sent once) and sets an `oncall.notice` timer in the same transaction; the engine's
handler hands it to paging's outbox, which sends it by the person's low-urgency rules. A crash
between the two loses nothing: the timer is a row.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.timers import timer_set
from watchkeeper.oncall import selectors
from watchkeeper.oncall.models import Notice, NoticeState, Schedule
from watchkeeper.oncall.timers import HANDOFF, NOTICE

# How far ahead "your shifts changed" compares.
CHANGE_HORIZON = dt.timedelta(days=14)
# With no hand-off in sight, look again after this long (a layer may start later).
RECHECK = dt.timedelta(days=1)
Upcoming = dict[int, list[tuple[dt.datetime, dt.datetime]]]


def _deliver(*, user: User, subject: str, text: str, dedup_key: str, schedule: Schedule | None) -> bool:
    """Send one notice once. Returns False when a notice with this key was already sent."""
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                dedup_key=dedup_key[:200], user=user, schedule=schedule, subject=subject, text=text
            )
    except IntegrityError:
        return False
    timer_set(kind=NOTICE, key=str(notice.pk), due_at=clock.now())
    return True


def _local(at: dt.datetime, user: User) -> str:
    return at.astimezone(user.zone).strftime("%a %d %b %H:%M %Z")


def _fresh(schedule_id: int) -> Schedule | None:
    return selectors.with_rules(Schedule.objects.filter(pk=schedule_id)).first()


# --- hand-offs ---------------------------------------------------------------------------------


def handoff_notify(*, schedule_id: int, now: dt.datetime) -> None:
    """The `oncall.handoff` timer: tell people they went on or off call, then re-arm the timer
    for the schedule's next hand-off (at most RECHECK ahead). Caller is in a transaction."""
    if not Schedule.objects.filter(pk=schedule_id).exists():
        return  # deleted: nothing to tell, and no reason to look again
    upcoming = handoff_reconcile(schedule_id=schedule_id, now=now)
    timer_set(kind=HANDOFF, key=str(schedule_id), due_at=min(upcoming or now + RECHECK, now + RECHECK))


def handoff_reconcile(*, schedule_id: int, now: dt.datetime) -> dt.datetime | None:
    """Bring "who was told they are on call" in line with the final schedule at `now` and
    return the next hand-off (None: nothing within the horizon, or no such schedule).
    Idempotent: a repeated or late run only sends what is still missing."""
    schedule = Schedule.objects.select_for_update().filter(pk=schedule_id).first()
    if schedule is None:
        return None
    schedule = _fresh(schedule_id)
    assert schedule is not None  # noqa: S101 - locked above
    (status,) = selectors.oncall_status(schedules=[schedule], at=now)
    current = {shift.user.pk: shift for shift in status.now}
    told = {
        state.user_id: state for state in NoticeState.objects.filter(schedule=schedule).select_related("user")
    }
    for user_id, shift in current.items():
        if user_id not in told:
            _on_call(schedule, shift)
            NoticeState.objects.create(schedule=schedule, user=shift.user, since=shift.start)
    for user_id, state in told.items():
        if user_id not in current:
            _off_call(schedule, state, now)
            state.delete()
    ends = [shift.end for shift in status.now]
    upcoming = [status.next.start] if status.next else []
    return min(ends + upcoming, default=None)


def _on_call(schedule: Schedule, shift: selectors.ScheduleShift) -> None:
    user = shift.user
    _deliver(
        user=user, schedule=schedule,
        subject=f"You are now on call: {schedule.name}",
        text=f"You are on call for {schedule.name} from {_local(shift.start, user)} "
        f"until {_local(shift.end, user)}.",
        dedup_key=f"oncall:{schedule.pk}:{user.pk}:{shift.start.isoformat()}",
    )  # fmt: skip


def _off_call(schedule: Schedule, state: NoticeState, now: dt.datetime) -> None:
    user = state.user
    _deliver(
        user=user, schedule=schedule,
        subject=f"You are off call: {schedule.name}",
        text=f"Your on-call shift for {schedule.name} (since {_local(state.since, user)}) has ended.",
        dedup_key=f"oncall-off:{schedule.pk}:{user.pk}:{state.since.isoformat()}",
    )  # fmt: skip


# --- changes -----------------------------------------------------------------------------------


def _digest(before: object, after: object) -> str:
    """Names one change (from these shifts to those), so a repeated run does not tell twice."""
    return hashlib.sha256(repr((before, after)).encode()).hexdigest()[:24]


def upcoming(*, schedule_id: int, now: dt.datetime) -> Upcoming:
    """Each person's final shifts of the schedule in the coming CHANGE_HORIZON."""
    schedule = _fresh(schedule_id)
    out: Upcoming = {}
    if schedule is None:
        return out
    for shift in selectors.schedule_shifts(schedule=schedule, start=now, end=now + CHANGE_HORIZON):
        out.setdefault(shift.user.pk, []).append((shift.start, shift.end))
    return out


def changes_notify(*, schedule_id: int, before: Upcoming, now: dt.datetime) -> int:
    """Tell everyone whose coming shifts differ from `before` what they are now. Returns how
    many were told."""
    after = upcoming(schedule_id=schedule_id, now=now)
    affected = {pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk)}
    schedule = Schedule.objects.filter(pk=schedule_id).first()
    if schedule is None or not affected:
        return 0
    told = 0
    for user in User.objects.filter(pk__in=affected, is_active=True):
        shifts = after.get(user.pk, [])
        lines = [f"- {_local(lo, user)} to {_local(hi, user)}" for lo, hi in shifts] or ["- none"]
        told += _deliver(
            user=user, schedule=schedule,
            subject=f"Your on-call shifts changed: {schedule.name}",
            text=f"Your shifts for {schedule.name} in the next {CHANGE_HORIZON.days} days are now:\n"
            + "\n".join(lines),
            dedup_key=f"oncall-changed:{schedule.pk}:{user.pk}:{_digest(before.get(user.pk), shifts)}",
        )  # fmt: skip
    return told
