"""The facts of a review, computed from the incident on every read and never typed: its timeline
(with the reviewer's stars and notes), time to detect / acknowledge / mitigate / resolve, the
pages sent and to whom, the escalation levels reached, client updates against the SLA's update
interval (gaps over it flagged), the SLA outcome and the alerts with their sources.

Definitions (docs/reviews.md says the same):
- first signal: the earliest `first_seen_at` of the incident's alerts, else its opening;
- time to detect: first signal → opening; to acknowledge: opening → acknowledgement;
- time to mitigate: opening → the last of its alerts resolved (monitoring saw recovery), else
  the resolution; time to resolve: opening → resolution.
- a client update is a client-visible timeline entry by a person; the gaps measured are opening
  → first update, update → update, last update → resolution, in business time of the SLA
  target's calendar (24×7 targets: wall-clock time).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from watchkeeper.alerts.models import Alert
from watchkeeper.core.humanize import duration_text
from watchkeeper.incidents.models import Incident, TimelineEntry, TimelineKind
from watchkeeper.paging.models import MessagePurpose, OutboxMessage
from watchkeeper.reviews.models import EntryMark, Review
from watchkeeper.sla.businesstime import business_between
from watchkeeper.sla.models import SlaBreach, SlaClock
from watchkeeper.sla.selectors import targets_for

TIMELINE_MAX = 2000


@dataclass(frozen=True)
class TimelineRow:
    entry: TimelineEntry
    starred: bool
    annotation: str


@dataclass(frozen=True)
class PageRow:
    person: str
    channels: list[str]
    count: int
    first_at: dt.datetime


@dataclass(frozen=True)
class UpdateGap:
    start: dt.datetime
    end: dt.datetime
    length: dt.timedelta
    over: bool
    label: str


@dataclass(frozen=True)
class AlertRow:
    summary: str
    source: str
    integration: str
    severity: str
    first_seen_at: dt.datetime
    occurrences: int


@dataclass
class Facts:
    timeline: list[TimelineRow] = field(default_factory=list)
    first_signal_at: dt.datetime | None = None
    time_to_detect: dt.timedelta | None = None
    time_to_acknowledge: dt.timedelta | None = None
    time_to_mitigate: dt.timedelta | None = None
    time_to_resolve: dt.timedelta | None = None
    pages: list[PageRow] = field(default_factory=list)
    pages_sent: int = 0
    escalation_levels: int = 0
    update_target: dt.timedelta | None = None
    updates: int = 0
    update_gaps: list[UpdateGap] = field(default_factory=list)
    sla: list[SlaClock] = field(default_factory=list)
    breaches: list[SlaBreach] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)

    @property
    def gaps_over(self) -> list[UpdateGap]:
        return [gap for gap in self.update_gaps if gap.over]

    @property
    def sla_outcome(self) -> str:
        if self.breaches:
            return "breached"
        return "met" if self.sla else "no SLA"


def _delta(a: dt.datetime | None, b: dt.datetime | None) -> dt.timedelta | None:
    return b - a if a is not None and b is not None and b >= a else None


def _timeline(review: Review) -> list[TimelineRow]:
    marks = {mark.entry_id: mark for mark in EntryMark.objects.filter(review=review)}
    entries = TimelineEntry.objects.filter(incident_id=review.incident_id).order_by("at", "id")[:TIMELINE_MAX]
    rows = []
    for entry in entries:
        mark = marks.get(entry.pk)
        rows.append(TimelineRow(entry, bool(mark and mark.starred), mark.annotation if mark else ""))
    return rows


def _pages(incident: Incident) -> tuple[list[PageRow], int]:
    messages = (
        OutboxMessage.objects.filter(incident=incident, purpose=MessagePurpose.PAGE)
        .select_related("user", "contact_method")
        .order_by("created_at", "id")
    )
    by_person: dict[int, PageRow] = {}
    total = 0
    for message in messages:
        total += 1
        kind = message.contact_method.get_kind_display() if message.contact_method else "unknown"
        row = by_person.get(message.user_id)
        if row is None:
            name = message.user.full_name or message.user.email
            by_person[message.user_id] = PageRow(name, [kind], 1, message.created_at)
        else:
            channels = row.channels if kind in row.channels else [*row.channels, kind]
            by_person[message.user_id] = PageRow(row.person, channels, row.count + 1, row.first_at)
    return list(by_person.values()), total


def _levels(rows: list[TimelineRow]) -> int:
    """The highest escalation level paged: page entries carry `page:<incident>:<run>:<level>`."""
    reached = 0
    for row in rows:
        entry = row.entry
        if entry.kind != TimelineKind.PAGE:
            continue
        cause = str((entry.data or {}).get("cause", ""))
        if cause.startswith("page:") and cause.rsplit(":", 1)[-1].isdigit():
            reached = max(reached, int(cause.rsplit(":", 1)[-1]) + 1)
        elif entry.text.startswith("Escalated to level "):
            level = entry.text.removeprefix("Escalated to level ").split()[0]
            reached = max(reached, int(level)) if level.isdigit() else reached
    return reached


def _update_gaps(incident: Incident, rows: list[TimelineRow], facts: Facts) -> None:
    targets = targets_for(incident)
    updates = [
        row.entry.at
        for row in rows
        if row.entry.client_visible
        and row.entry.kind in (TimelineKind.NOTE, TimelineKind.STATUS)
        and row.entry.actor_id is not None
    ]
    facts.updates = len(updates)
    end = incident.resolved_at
    if targets is None or targets.update is None or end is None:
        return
    facts.update_target = targets.update
    marks = [incident.opened_at, *[at for at in updates if incident.opened_at <= at <= end], end]
    labels = [
        "opening → first update",
        *["update → next update"] * (len(marks) - 3),
        "last update → resolution",
    ]
    if len(marks) == 2:
        labels = ["opening → resolution, no update"]
    for (start, stop), label in zip(itertools.pairwise(marks), labels, strict=False):
        length = business_between(targets.calendar, start, stop)
        facts.update_gaps.append(UpdateGap(start, stop, length, length > targets.update, label))


def _alerts(incident: Incident) -> list[AlertRow]:
    alerts = Alert.objects.filter(incident=incident).select_related("integration").order_by("first_seen_at")
    return [
        AlertRow(a.summary, a.source, a.integration.name, a.severity, a.first_seen_at, a.occurrence_count)
        for a in alerts[:200]
    ]


def review_facts(review: Review) -> Facts:
    incident = review.incident
    facts = Facts(timeline=_timeline(review))
    facts.alerts = _alerts(incident)
    firsts = [row.first_seen_at for row in facts.alerts]
    facts.first_signal_at = min([*firsts, incident.opened_at])
    facts.time_to_detect = _delta(facts.first_signal_at, incident.opened_at)
    facts.time_to_acknowledge = _delta(incident.opened_at, incident.acknowledged_at)
    facts.time_to_resolve = _delta(incident.opened_at, incident.resolved_at)
    recovered = list(Alert.objects.filter(incident=incident).values_list("resolved_at", flat=True))
    ends = [at for at in recovered if at is not None]
    mitigated = max(ends) if recovered and len(ends) == len(recovered) else incident.resolved_at
    facts.time_to_mitigate = _delta(incident.opened_at, mitigated)
    facts.pages, facts.pages_sent = _pages(incident)
    facts.escalation_levels = _levels(facts.timeline)
    _update_gaps(incident, facts.timeline, facts)
    facts.sla = list(SlaClock.objects.filter(incident=incident).order_by("kind"))
    facts.breaches = list(SlaBreach.objects.filter(incident=incident).order_by("breached_at"))
    return facts


def answers(facts: Facts) -> list[tuple[str, str]]:
    """The seed's three questions, answered from the facts."""
    late = facts.time_to_detect
    detect = (
        "no alert: reported by a person" if not facts.alerts else f"first signal to incident: {_text(late)}"
    )
    levels = facts.escalation_levels
    escalation = (
        "nobody was paged" if not facts.pages_sent else
        f"{facts.pages_sent} page(s) to {len(facts.pages)} person(s), {levels} escalation level(s); "
        f"acknowledged after {_text(facts.time_to_acknowledge)}"
    )  # fmt: skip
    if facts.update_target is None:
        updates = f"{facts.updates} client update(s); the SLA sets no update interval"
    elif facts.gaps_over:
        updates = f"{facts.updates} client update(s); {len(facts.gaps_over)} gap(s) longer than the interval"
    else:
        updates = f"{facts.updates} client update(s), none late"
    return [
        ("Was the alert triggered too late?", detect),
        ("Did escalation happen smoothly?", escalation),
        ("Were clients updated consistently?", updates),
    ]


def _text(delta: dt.timedelta | None) -> str:
    return duration_text(delta) if delta is not None else "—"
