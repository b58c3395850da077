"""Escalation: reconcile an incident's escalation with its status, fire level steps, and the
manual actions (escalate to a level, reassign).

Invariants:
- Every function runs in a transaction holding the incident's row lock (`incident_lock`), then
  the escalation row's lock (always in that order, the one of incidents/locks.py: no deadlock
  between reconcile, a step and an incident change).
- A step timer (kind `paging.step`, key `<incident>:<run>:<loop>:<level>`) acts only if its
  (run, loop, level) is the escalation's current position and the state is active: a stale,
  repeated or cancelled step does nothing (fencing).
- Pages are outbox rows keyed by (incident, cycle, level, rule, contact method): a step that is
  retried after a crash pages nobody twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.core.timers import timer_cancel_prefix, timer_set
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineKind
from watchkeeper.incidents.services import incident_assign, incident_reported, timeline_add
from watchkeeper.paging.models import EscalationLevel, EscalationPolicy, EscalationState, IncidentEscalation
from watchkeeper.paging.services.messages import page_subject, page_text
from watchkeeper.paging.services.notify import page_user, pages_cancel
from watchkeeper.paging.targets import level_recipients
from watchkeeper.paging.timers import ESCALATION_STEP as STEP
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By

PAGE_KIND = TimelineKind.PAGE
# One answer for "no such person" and "may not take it": naming someone who cannot work on the
# incident's client would confirm that they exist (and echo their name across clients).
NO_SUCH_ASSIGNEE = "No such person can take this incident."


def policy_for_incident(*, incident: Incident) -> EscalationPolicy | None:
    """The service's policy, else the client's default, else the MSP-wide (NOC) default."""
    link = getattr(incident.service, "escalation", None)
    if link is not None:
        return link.policy
    default = EscalationPolicy.objects.filter(client_id=incident.client_id, is_default=True).first()
    return default or EscalationPolicy.objects.filter(client__isnull=True, is_default=True).first()


def _locked(incident_id: int) -> tuple[Incident, IncidentEscalation]:
    incident = incident_lock(incident_id=incident_id)
    IncidentEscalation.objects.get_or_create(incident=incident)
    row = IncidentEscalation.objects.select_for_update().get(incident=incident)
    return incident, row


def _step_key(row: IncidentEscalation) -> str:
    return f"{row.incident_id}:{row.run}:{row.loop}:{row.level}"


def _schedule_step(row: IncidentEscalation, due_at: dt.datetime) -> None:
    row.next_step_at = due_at
    timer_set(kind=STEP, key=_step_key(row), due_at=due_at)


def _halt(incident: Incident, row: IncidentEscalation, state: str) -> None:
    timer_cancel_prefix(kind=STEP, key_prefix=f"{incident.pk}:")
    pages_cancel(incident=incident)
    row.state, row.next_step_at = state, None


def _start(incident: Incident, row: IncidentEscalation, *, at: dt.datetime, level: int = 0) -> None:
    timer_cancel_prefix(kind=STEP, key_prefix=f"{incident.pk}:")
    row.policy = policy_for_incident(incident=incident)
    row.run, row.loop, row.level = row.run + 1, 0, level
    if row.policy is None or not row.policy.levels.exists():
        row.state, row.next_step_at = EscalationState.NO_POLICY, None
        timeline_add(incident=incident, kind=PAGE_KIND, text="No escalation policy applies: nobody was paged")
        return
    row.state = EscalationState.ACTIVE
    _schedule_step(row, at)


def escalation_reconcile(*, incident_id: int, changed_at: dt.datetime) -> None:
    """Bring the incident's escalation in line with its status (the `paging.incident` timer):
    start for a new or reopened incident, stop escalating on acknowledge, stop everything on
    resolve or close. Idempotent: a second call with nothing changed does nothing.

    `changed_at` is when the change happened (the timer's due time): escalation runs from
    then, so an engine that was down catches up with the steps that fell due meanwhile."""
    with transaction.atomic():
        incident, row = _locked(incident_id)
        status, before = incident.status, row.seen_status
        if status == IncidentStatus.TRIGGERED and before != IncidentStatus.TRIGGERED:
            if before in {"", IncidentStatus.RESOLVED, IncidentStatus.CLOSED} or row.run == 0:
                # A new incident escalates from its opening (changes coalesce into one timer).
                _start(incident, row, at=incident.opened_at if not before else changed_at)
        elif status == IncidentStatus.ACKNOWLEDGED and row.state in {
            EscalationState.ACTIVE,
            EscalationState.EXHAUSTED,
        }:
            _halt(incident, row, EscalationState.ACKNOWLEDGED)
        elif (
            status in {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}
            and row.state != EscalationState.STOPPED
        ):
            _halt(incident, row, EscalationState.STOPPED)
        row.seen_status = status
        row.updated_at = clock.now()
        row.save()
        first_step = _step_key(row) if row.state == EscalationState.ACTIVE and row.next_step_at else None
        due = row.next_step_at
    # The first level pages now, in this transaction, rather than one engine cycle later; its
    # step timer then finds the escalation moved on and does nothing.
    if first_step and due is not None and due <= clock.now():
        escalation_step(key=first_step, due_at=due)


def _levels(row: IncidentEscalation) -> list[EscalationLevel]:
    return list(row.policy.levels.order_by("position")) if row.policy else []


def _advance(
    incident: Incident, row: IncidentEscalation, levels: list[EscalationLevel], due: dt.datetime
) -> None:
    """Move to the next level (or the next repeat) after the current level's delay."""
    if incident.status != IncidentStatus.TRIGGERED:
        row.state, row.next_step_at = (
            EscalationState.ACKNOWLEDGED,
            None,
        )  # a manual escalation of an acked incident
        return
    next_due = due + dt.timedelta(minutes=levels[row.level].delay_minutes)
    if row.level + 1 < len(levels):
        row.level += 1
    elif row.policy is not None and row.loop < row.policy.repeat:
        row.loop, row.level = row.loop + 1, 0
    else:
        row.level = len(levels)  # past the last level: the step after its delay ends the run
    _schedule_step(row, next_due)


def _exhaust(incident: Incident, row: IncidentEscalation) -> None:
    row.state, row.next_step_at = EscalationState.EXHAUSTED, None
    timeline_add(
        incident=incident, kind=PAGE_KIND,
        text=f"Escalation policy {row.policy} ran {row.loop + 1} time(s) without an acknowledgement; "
        "paging stopped",
    )  # fmt: skip


def escalation_step(*, key: str, due_at: dt.datetime) -> bool:
    """Fire the step timer `key` that was due at `due_at`. Returns whether it paged."""
    position = _step_position(key)
    if position is None:
        return False  # not a key this code writes: nothing to do, never retry
    incident_id, run, loop, level = position
    with transaction.atomic():
        incident, row = _locked(incident_id)
        if row.state != EscalationState.ACTIVE or (row.run, row.loop, row.level) != (run, loop, level):
            return False
        levels = _levels(row)
        if row.level >= len(levels):  # the last level's delay passed (or the policy lost levels)
            _exhaust(incident, row)
            row.save()
            return False
        _page_level(incident, row, levels[row.level])
        _advance(incident, row, levels, due_at)
        row.updated_at = clock.now()
        row.save()
        return True


def _step_position(key: str) -> tuple[int, int, int, int] | None:
    try:
        incident_id, run, loop, level = (int(part) for part in key.split(":"))
    except ValueError:
        return None
    return incident_id, run, loop, level


def escalation_steps(*, steps: Sequence[tuple[str, dt.datetime]]) -> int:
    """Fire many step timers (key, due time) at once; returns how many paged.

    One unlocked read of the escalations they name sorts out the steps that are no longer the
    current position (most of a backlog after acknowledgements and reruns): they do nothing, as
    `escalation_step` would decide under its lock. The rest go through `escalation_step`, which
    decides again under the locks, in incident order, so that engines working through
    overlapping batches take incident locks in one order. A step that becomes current after the
    read was set again when it did (its timer's version moved), so its fenced completion fails
    and it runs again: nothing is skipped."""
    wanted: dict[int, list[tuple[tuple[int, int, int], str, dt.datetime]]] = {}
    for key, due_at in steps:
        parsed = _step_position(key)
        if parsed is not None:
            wanted.setdefault(parsed[0], []).append((parsed[1:], key, due_at))
    current = {
        incident_id: (run, loop, level)
        for incident_id, run, loop, level in IncidentEscalation.objects.filter(
            incident_id__in=list(wanted), state=EscalationState.ACTIVE
        ).values_list("incident_id", "run", "loop", "level")
    }
    paged = 0
    for incident_id in sorted(current):
        for position, key, due_at in wanted[incident_id]:
            if position == current[incident_id]:
                paged += escalation_step(key=key, due_at=due_at)
    return paged


def _names(users: list[User]) -> str:
    return ", ".join(user.full_name or user.email for user in users)


def _page_level(incident: Incident, row: IncidentEscalation, level: EscalationLevel) -> None:
    """Page the level's people who may work on the incident's client; name the others on the
    timeline as skipped (a team, a shared schedule or an override may name anyone)."""
    recipients = level_recipients(level=level, at=clock.now(), client=incident.client)
    users = recipients.paged
    cause = f"page:{incident.pk}:{row.run}.{row.loop}:{row.level}"
    subject = page_subject(incident=incident)
    for user in users:
        text = page_text(incident=incident, zone=user.zone)
        page_user(incident=incident, user=user, cause=cause, subject=subject, text=text)
    where = f"level {row.level + 1}" + (f", repeat {row.loop}" if row.loop else "")
    text = f"Paging {where} of {row.policy}: {_names(users)}" if users else f"Nobody to page at {where}"
    if recipients.skipped:
        text += f"; skipped {_names(recipients.skipped)}: not assigned to this client"
    timeline_add(
        incident=incident, kind=PAGE_KIND, text=text,
        data={"cause": cause, "users": [user.pk for user in users],
              "skipped": [user.pk for user in recipients.skipped]},
    )  # fmt: skip
    if row.level or row.loop:
        incident_reported(incident=incident)  # an escalation past the first level: chat posts it


def incident_escalate(*, incident: Incident, level: int, by: By) -> IncidentEscalation:
    """Page level `level` (1 = first) of the incident's policy now, and go on from there while
    nobody acknowledges. Counts as a new escalation run, so earlier pages do not dedup it."""
    with transaction.atomic():
        incident, row = _locked(incident.pk)
        if not incident.is_open:
            raise Conflict(
                f"{incident.reference} is {incident.status_text}: only an open incident can be escalated."
            )
        policy = policy_for_incident(incident=incident)
        count = policy.levels.count() if policy else 0
        if not 1 <= level <= count:
            raise InvalidInput(f"Level must be between 1 and {count} for policy {policy}.", field="level")
        _start(incident, row, at=clock.now(), level=level - 1)
        row.seen_status = incident.status
        row.updated_at = clock.now()
        row.save()
        timeline_add(incident=incident, kind=PAGE_KIND, by=by, text=f"Escalated to level {level}")
        incident_reported(incident=incident)
        return row


def incident_reassign(*, incident: Incident, to: User, by: By) -> Incident:
    """Make `to` the owner and page them now (through their own notification rules). Someone
    who may not work on the incident's client is refused with the one message that does not
    tell them apart from nobody (no name echoed across clients)."""
    if not access.may_work_on(to, client_id=incident.client_id) or not to.is_active:
        raise InvalidInput(NO_SUCH_ASSIGNEE, field="user")
    with transaction.atomic():
        incident = incident_assign(incident=incident, by=by, owner=to)  # checks `to` may work on it
        incident, row = _locked(incident.pk)
        if not incident.is_open:
            return incident
        cause = f"reassign:{incident.pk}:{row.run}:u{to.pk}:{clock.now().timestamp():.0f}"
        page_user(incident=incident, user=to, cause=cause, subject=page_subject(incident=incident),
                  text=page_text(incident=incident, zone=to.zone))  # fmt: skip
        timeline_add(
            incident=incident,
            kind=PAGE_KIND,
            by=by,
            text=f"Reassigned to {to.full_name or to.email}; paging them",
        )
        return incident
