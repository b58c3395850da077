"""Improvement metrics over a period, for the clients the actor works on.

Definitions (docs/reports.md repeats them; tests/reviews/test_metrics.py checks each on a fixed
data set with hand-computed values):

- MTTA: mean (and median) of opening → acknowledgement, over the incidents opened in the period
  that were acknowledged. MTTR: the same for opening → resolution, over the resolved ones.
  Grouped by client, service, category, priority or month (month of opening in the reader's zone).
- Noise, over the alerts first seen in the period: alerts per incident (alerts that joined an
  incident ÷ those incidents), alerts never acknowledged, alerts resolved on their own within
  N minutes of first being seen (never acknowledged), alerts held back as flapping; the noisiest
  integrations per client by alert count; event rules by events dropped.
- On-call load, over the pages sent in the period: pages per technician and interruptions
  counted as PagerDuty does — push, SMS and voice only (e-mail and chat never interrupt), and
  several within 60 seconds of the interruption that opened the window count once — each in the
  technician's own time zone as business hours (Mon–Fri 08:00–18:00), sleep hours (22:00–08:00)
  or off hours (the rest).
- Risk: priority changes after opening, up (more urgent) or down, per category and per source
  (the integration type of the incident's first alert, or "manual").
- Completion: reviews of the period completed (and by their due time); action items done (and
  by their due date).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet

from watchkeeper.accounts.models import User
from watchkeeper.alerts.models import Alert, EventRule, Integration
from watchkeeper.core.errors import InvalidInput
from watchkeeper.incidents.models import Incident, TimelineEntry, TimelineKind
from watchkeeper.paging.models import ContactKind, MessagePurpose, MessageState, OutboxMessage
from watchkeeper.policy.selectors import priority_ranks
from watchkeeper.reviews.models import ActionItem, ActionStatus, Review, ReviewStatus
from watchkeeper.sla.models import ClockState, SlaClock
from watchkeeper.tenancy import access

GROUPS = ("client", "service", "category", "priority", "month")
_GROUP_FIELDS = {
    "client": "client__name",
    "service": "service__name",
    "category": "category",
    "priority": "priority",
}
INTERRUPTING = frozenset({ContactKind.SMS, ContactKind.VOICE, ContactKind.PUSH})
INTERRUPTION_WINDOW = dt.timedelta(seconds=60)
MAX_PERIOD = dt.timedelta(days=732)
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    zone: ZoneInfo


def period_parse(start: str, end: str, *, zone: ZoneInfo, today: dt.date) -> Period:
    """`start` and `end` (YYYY-MM-DD, end inclusive) in the reader's zone; default: the last 90
    days up to today."""
    try:
        first = dt.date.fromisoformat(start) if start else today - dt.timedelta(days=89)
        last = dt.date.fromisoformat(end) if end else today
    except ValueError:
        raise InvalidInput("from and to must be dates (YYYY-MM-DD).", field="from") from None
    if first < EARLIEST or last > LATEST:
        raise InvalidInput("from and to must lie between 1970 and 2999.", field="from")
    if last < first:
        raise InvalidInput("to must not be before from.", field="to")
    a = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    b = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    if b - a > MAX_PERIOD:
        raise InvalidInput("A period can be at most two years.", field="from")
    return Period(a, b, zone)


@dataclass(frozen=True)
class Times:
    count: int
    mean: float | None  # seconds
    median: float | None

    @property
    def mean_minutes(self) -> float | None:
        return None if self.mean is None else self.mean / 60

    @property
    def median_minutes(self) -> float | None:
        return None if self.median is None else self.median / 60


def _times(values: list[float]) -> Times:
    if not values:
        return Times(0, None, None)
    return Times(len(values), statistics.fmean(values), statistics.median(values))


@dataclass(frozen=True)
class MetricRow:
    key: str
    incidents: int
    mtta: Times
    mttr: Times


@dataclass
class Metrics:
    group: str
    rows: list[MetricRow]
    total: MetricRow
    months: list[tuple[str, int]] = field(default_factory=list)
    sla: list[tuple[str, int, int]] = field(default_factory=list)  # month, met, breached
    risk: list[tuple[str, str, int, int]] = field(default_factory=list)  # by, key, up, down
    reviews: tuple[int, int, int] = (0, 0, 0)  # total, completed, completed on time
    actions: tuple[int, int, int] = (0, 0, 0)  # total, done, done on time


def _incidents(actor: access.ActorLike, period: Period, client_slug: str) -> QuerySet[Incident]:
    qs = access.scope_for(Incident.objects.all(), actor, "incidents.view")
    if client_slug:
        qs = qs.filter(client=access.client_access(actor, client_slug))
    return qs.filter(opened_at__gte=period.start, opened_at__lt=period.end, merged_into__isnull=True)


def _row(key: str, rows: list[tuple[dt.datetime, dt.datetime | None, dt.datetime | None]]) -> MetricRow:
    acks = [(ack - opened).total_seconds() for opened, ack, _ in rows if ack is not None]
    fixes = [(res - opened).total_seconds() for opened, _, res in rows if res is not None]
    return MetricRow(key, len(rows), _times(acks), _times(fixes))


def incident_metrics(
    *, actor: access.ActorLike, period: Period, group: str = "client", client_slug: str = ""
) -> Metrics:
    if group not in GROUPS:
        raise InvalidInput(f"group must be one of {', '.join(GROUPS)}.", field="group")
    qs = _incidents(actor, period, client_slug)
    label = _GROUP_FIELDS.get(group, "opened_at")
    groups: dict[str, list[tuple[dt.datetime, dt.datetime | None, dt.datetime | None]]] = defaultdict(list)
    everything = []
    months: Counter[str] = Counter()
    for key, opened, acked, resolved in qs.values_list(label, "opened_at", "acknowledged_at", "resolved_at"):
        month = opened.astimezone(period.zone).strftime("%Y-%m")
        months[month] += 1
        name = month if group == "month" else (str(key) if key else "(none)")
        groups[name].append((opened, acked, resolved))
        everything.append((opened, acked, resolved))
    rows = [_row(key, values) for key, values in groups.items()]
    rows.sort(key=lambda row: row.key if group == "month" else (-row.incidents, row.key))
    metrics = Metrics(group=group, rows=rows, total=_row("All", everything), months=sorted(months.items()))
    metrics.sla = _sla(actor, period, client_slug)
    metrics.risk = _risk(qs)
    metrics.reviews, metrics.actions = _completion(actor, period, client_slug)
    return metrics


def _sla(actor: access.ActorLike, period: Period, client_slug: str) -> list[tuple[str, int, int]]:
    qs = access.scope_for(SlaClock.objects.all(), actor, "incidents.view")
    if client_slug:
        qs = qs.filter(client=access.client_access(actor, client_slug))
    qs = qs.filter(opened_at__gte=period.start, opened_at__lt=period.end)
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for opened, state in qs.filter(state__in=[ClockState.MET, ClockState.BREACHED]).values_list(
        "opened_at", "state"
    ):
        found[opened.astimezone(period.zone).strftime("%Y-%m")][state == ClockState.BREACHED] += 1
    return [(month, met, breached) for month, (met, breached) in sorted(found.items())]


def _sources(incident_ids: Iterable[int]) -> dict[int, str]:
    """The integration type of each incident's first alert."""
    found: dict[int, str] = {}
    rows = Alert.objects.filter(incident_id__in=list(incident_ids)).order_by("first_seen_at", "id")
    for incident_id, kind in rows.values_list("incident_id", "integration__type"):
        found.setdefault(incident_id, kind)
    return found


def _risk(incidents: QuerySet[Incident]) -> list[tuple[str, str, int, int]]:
    """Priority changes after opening, per category and per source: (by, key, up, down)."""
    ranks = priority_ranks()
    changes = TimelineEntry.objects.filter(incident__in=incidents, kind=TimelineKind.PRIORITY)
    rows = list(changes.values_list("incident_id", "incident__category", "data"))
    sources = _sources({incident_id for incident_id, _, _ in rows})
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for incident_id, category, data in rows:
        before, after = ranks.get(str((data or {}).get("from"))), ranks.get(str((data or {}).get("to")))
        if before is None or after is None or before == after:
            continue
        down = after > before  # a larger rank is less urgent
        tally[("category", category or "(none)")][down] += 1
        tally[("source", sources.get(incident_id, "manual"))][down] += 1
    return [(by, key, up, down) for (by, key), (up, down) in sorted(tally.items())]


def _completion(
    actor: access.ActorLike, period: Period, client_slug: str
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    reviews = access.scope_for(Review.objects.all(), actor, "incidents.view")
    items = access.scope_for(ActionItem.objects.all(), actor, "incidents.view")
    if client_slug:
        client = access.client_access(actor, client_slug)
        reviews, items = reviews.filter(client=client), items.filter(client=client)
    reviews = reviews.filter(created_at__gte=period.start, created_at__lt=period.end)
    items = items.filter(created_at__gte=period.start, created_at__lt=period.end)
    done = ReviewStatus.COMPLETED
    r = reviews.aggregate(
        total=Count("id"), done=Count("id", filter=Q(status=done)),
        on_time=Count("id", filter=Q(status=done, completed_at__lte=F("due_at"))),
    )  # fmt: skip
    a = items.aggregate(total=Count("id"), done=Count("id", filter=Q(status=ActionStatus.DONE)))
    on_time = sum(
        1
        for completed, due in items.filter(status=ActionStatus.DONE).values_list("completed_at", "due_on")
        if completed is not None and completed.astimezone(period.zone).date() <= due
    )
    return (r["total"], r["done"], r["on_time"]), (a["total"], a["done"], on_time)


# --- noise ------------------------------------------------------------------------------------


@dataclass
class Noise:
    alerts: int
    incidents: int
    alerts_per_incident: float | None
    never_acknowledged: int
    auto_resolved: int
    auto_minutes: int
    flapping: int
    integrations: list[tuple[str, str, str, int]]  # client, integration, type, alerts
    rules: list[tuple[str, str, int]]  # client, rule, events dropped


def noise_metrics(
    *, actor: access.ActorLike, period: Period, client_slug: str = "", auto_minutes: int = 5
) -> Noise:
    if not 1 <= auto_minutes <= 1440:
        raise InvalidInput("auto_minutes must be between 1 and 1440.", field="auto_minutes")
    qs = access.scope_for(Alert.objects.all(), actor, "alerts.view")
    rules = access.scope_for(EventRule.objects.all(), actor, "alerts.view")
    if client_slug:
        client = access.client_access(actor, client_slug)
        qs, rules = qs.filter(client=client), rules.filter(client=client)
    qs = qs.filter(first_seen_at__gte=period.start, first_seen_at__lt=period.end)
    window = dt.timedelta(minutes=auto_minutes)
    # One pass over the period's alerts for every count (auto-resolved included), one more for
    # the noisiest integrations (grouped by id only: names are read for the top 20 afterwards).
    totals = qs.aggregate(
        alerts=Count("id"),
        joined=Count("id", filter=Q(incident__isnull=False)),
        incidents=Count("incident", distinct=True),
        never=Count("id", filter=Q(acknowledged_at__isnull=True)),
        auto=Count(
            "id",
            filter=Q(acknowledged_at__isnull=True, resolved_at__isnull=False)
            & Q(resolved_at__lte=F("first_seen_at") + window),
        ),
        flapping=Count("id", filter=Q(suppressed_reason="flapping")),
    )
    top = list(qs.values("integration_id").annotate(n=Count("id")).order_by("-n", "integration_id")[:20])
    names = {
        row["pk"]: row
        for row in Integration.objects.filter(pk__in=[t["integration_id"] for t in top]).values(
            "pk", "name", "type", "client__name"
        )
    }
    by_integration = []
    for row in top:
        named = names[row["integration_id"]]
        by_integration.append({
            "client__name": named["client__name"], "integration__name": named["name"],
            "integration__type": named["type"], "n": row["n"],
        })  # fmt: skip
    noisy_rules = rules.filter(dropped_count__gt=0).order_by("-dropped_count", "name")[:20]
    return Noise(
        alerts=totals["alerts"],
        incidents=totals["incidents"],
        alerts_per_incident=round(totals["joined"] / totals["incidents"], 2) if totals["incidents"] else None,
        never_acknowledged=totals["never"],
        auto_resolved=totals["auto"],
        auto_minutes=auto_minutes,
        flapping=totals["flapping"],
        integrations=[
            (row["client__name"], row["integration__name"], row["integration__type"], row["n"])
            for row in by_integration
        ],
        rules=[
            (rule.client.name, rule.name, rule.dropped_count) for rule in noisy_rules.select_related("client")
        ],
    )


# --- on-call load -----------------------------------------------------------------------------

BUCKETS = ("business", "off", "sleep")


def hour_bucket(at: dt.datetime, zone: dt.tzinfo) -> str:
    """PagerDuty's buckets in the person's zone: business Mon–Fri 08–18, sleep 22–08, off the rest."""
    local = at.astimezone(zone)
    if local.hour >= 22 or local.hour < 8:
        return "sleep"
    if local.weekday() < 5 and 8 <= local.hour < 18:
        return "business"
    return "off"


@dataclass
class Load:
    user_id: int
    person: str
    zone: str
    pages: int = 0
    notifications: int = 0
    interruptions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    @property
    def interruptions_total(self) -> int:
        return sum(self.interruptions.values())


def interruptions(times: list[tuple[dt.datetime, str]], zone: dt.tzinfo) -> dict[str, int]:
    """Count interruptions from (sent at, contact kind) in time order: only push, SMS and voice
    interrupt; one within 60 s of the interruption that opened the window is part of it."""
    counts = dict.fromkeys(BUCKETS, 0)
    opened: dt.datetime | None = None
    for at, kind in sorted(times):
        if kind not in INTERRUPTING:
            continue
        if opened is not None and at - opened < INTERRUPTION_WINDOW:
            continue
        opened = at
        counts[hour_bucket(at, zone)] += 1
    return counts


def oncall_load(*, actor: access.ActorLike, period: Period, client_slug: str = "") -> list[Load]:
    """Pages (and other messages) delivered per technician in the period, and interruptions."""
    qs = OutboxMessage.objects.filter(
        purpose__in=[MessagePurpose.PAGE, MessagePurpose.NOTIFICATION],
        state__in=[MessageState.SENT, MessageState.BUNDLED],
        sent_at__gte=period.start, sent_at__lt=period.end,
    )  # fmt: skip
    qs = access.scope_for(qs, actor, "incidents.view", field="incident__client")
    if client_slug:
        qs = qs.filter(incident__client=access.client_access(actor, client_slug))
    per_user: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for user_id, sent_at, kind, purpose in qs.values_list(
        "user_id", "sent_at", "contact_method__kind", "purpose"
    ):
        if sent_at is not None:
            per_user[user_id].append((sent_at, kind or ""))
        counts[user_id][purpose] += 1
    users = {user.pk: user for user in User.objects.filter(pk__in=list(per_user))}
    loads = []
    for user_id, times in per_user.items():
        user = users[user_id]
        load = Load(user_id, user.full_name or user.email, user.timezone)
        load.pages, load.notifications = (
            counts[user_id][MessagePurpose.PAGE],
            counts[user_id][MessagePurpose.NOTIFICATION],
        )
        load.interruptions = interruptions(times, user.zone)
        loads.append(load)
    loads.sort(key=lambda load: (-load.interruptions_total, -load.pages, load.person))
    return loads
