"""SLA reports per client and period: compliance per target and priority, mean and median
business times, the breach list with reasons and a six-month trend. Reads the stored clocks
(two queries per report, one more for the trend), so a month over thousands of incidents is quick."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.humanize import minutes_text
from watchkeeper.sla.models import ClockKind, ReportDelivery, SlaBreach, SlaClock
from watchkeeper.tenancy.models import Client

KINDS = [kind for kind, _ in ClockKind.choices]
LABELS = dict(ClockKind.choices)
MAX_RANGE_DAYS = 400
# Compliance at or above GOOD % reads as good, at or above FAIR % as fair, below it as poor: the
# colours of the trend chart (HTML and PDF), its legend, and the Reports page's figures.
GOOD, FAIR = 95, 80


def tone_of(percent: float | None) -> str:
    """good, fair, poor (by GOOD and FAIR), or none without data."""
    if percent is None:
        return "none"
    return "good" if percent >= GOOD else "fair" if percent >= FAIR else "poor"


@dataclass
class Cell:
    met: int = 0
    breached: int = 0
    running: int = 0

    @property
    def compliance(self) -> float | None:
        done = self.met + self.breached
        return round(100 * self.met / done, 1) if done else None

    @property
    def tone(self) -> str:
        """The colour of the compliance, as the trend chart's legend names it (GOOD, FAIR)."""
        return tone_of(self.compliance)


@dataclass
class Times:
    mean: float | None
    median: float | None
    count: int


@dataclass
class SlaReport:
    client: Client
    start: dt.date
    end: dt.date  # exclusive
    priorities: list[str]
    cells: dict[tuple[str, str], Cell]  # (kind, priority)
    totals: dict[str, Cell]
    times: dict[str, Times]  # response, resolution: business seconds
    breaches: list[SlaBreach]
    trend: list[tuple[str, float | None]] = field(default_factory=list)
    incidents: int = 0

    @property
    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        if self.start.day == 1 and self.end == _month_after(self.start):
            return self.start.strftime("%B %Y")
        return f"{self.start:%Y-%m-%d} – {last:%Y-%m-%d}"


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def period_parse(*, month: str = "", start: str = "", end: str = "") -> tuple[dt.date, dt.date]:
    """`month=YYYY-MM`, or `from`/`to` dates (inclusive). Returns [start, end)."""
    try:
        if month:
            first = dt.date.fromisoformat(f"{month}-01")
            return first, _month_after(first)
        if start and end:
            first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        else:
            raise InvalidInput("Give month=YYYY-MM, or from and to (YYYY-MM-DD).", field="month")
    except ValueError as exc:
        raise InvalidInput(f"Not a month or date: {exc}.", field="month") from exc
    if last < first:
        raise InvalidInput("'to' is before 'from'.", field="to")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_RANGE_DAYS} days.", field="to")
    return first, last + dt.timedelta(days=1)


def _bounds(client: Client, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period in the client's own time zone: a client's March is March where they are."""

    zone = ZoneInfo(client.timezone or "UTC")
    return dt.datetime.combine(start, dt.time(0), zone), dt.datetime.combine(end, dt.time(0), zone)


def _times(values: list[int]) -> Times:
    if not values:
        return Times(None, None, 0)
    return Times(statistics.fmean(values), float(statistics.median(values)), len(values))


# Outcome of a stored clock: breached if it ever breached (a recorded breach is never erased).
_BREACHED = Q(breached_at__isnull=False) | Q(state="breached")
_MET = Q(breached_at__isnull=True, state="met")
_RUNNING = Q(breached_at__isnull=True) & ~Q(state__in=["met", "breached"])


def _clocks(client: Client, since: dt.datetime, until: dt.datetime) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(client=client, opened_at__gte=since, opened_at__lt=until).order_by()


def report_build(*, client: Client, start: dt.date, end: dt.date, trend: bool = True) -> SlaReport:
    """Counted by the database (GROUP BY target and priority); only business durations come back
    as rows, for the medians."""
    since, until = _bounds(client, start, end)
    breaches = list(
        SlaBreach.objects.filter(client=client, opened_at__gte=since, opened_at__lt=until)
        .select_related("incident__client", "reason_by")
        .order_by("breached_at", "id")
    )
    clocks = _clocks(client, since, until)
    cells: dict[tuple[str, str], Cell] = {}
    totals: dict[str, Cell] = defaultdict(Cell)
    grouped = clocks.values("kind", "priority").annotate(
        met=Count("id", filter=_MET),
        breached=Count("id", filter=_BREACHED),
        running=Count("id", filter=_RUNNING),
    )
    for row in grouped:
        cell = Cell(met=row["met"], breached=row["breached"], running=row["running"])
        cells[(row["kind"], row["priority"])] = cell
        total = totals[row["kind"]]
        total.met, total.breached, total.running = (
            total.met + cell.met,
            total.breached + cell.breached,
            total.running + cell.running,
        )
    durations: dict[str, list[int]] = defaultdict(list)
    finished = clocks.filter(met_at__isnull=False, kind__in=["response", "resolution"])
    for kind, elapsed in finished.values_list("kind", "elapsed_seconds"):
        durations[kind].append(elapsed)
    report = SlaReport(
        client=client, start=start, end=end, priorities=sorted({p for _, p in cells}), cells=cells,
        totals=dict(totals), times={k: _times(durations[k]) for k in ("response", "resolution")},
        breaches=breaches, incidents=clocks.values("incident").distinct().count(),
    )  # fmt: skip
    if trend:
        report.trend = trend_build(client=client, end=end)
    return report


def trend_build(*, client: Client, end: dt.date, months: int = 6) -> list[tuple[str, float | None]]:
    """Overall compliance (every target) for the six months up to the period's end, in ONE
    aggregate query (a met and a breached count per month)."""
    last = end.replace(day=1) if end.day == 1 else _month_after(end)
    firsts = [last]
    for _ in range(months):
        firsts.insert(0, (firsts[0] - dt.timedelta(days=1)).replace(day=1))
    zone = ZoneInfo(client.timezone or "UTC")
    bounds = [dt.datetime.combine(first, dt.time(0), zone) for first in firsts]
    counts: dict[str, Count] = {}
    for index, (since, until) in enumerate(itertools.pairwise(bounds)):
        month = Q(opened_at__gte=since, opened_at__lt=until)
        counts[f"met{index}"] = Count("id", filter=month & _MET)
        counts[f"breached{index}"] = Count("id", filter=month & _BREACHED)
    row = _clocks(client, bounds[0], bounds[-1]).aggregate(**counts)
    return [
        (first.strftime("%Y-%m"), Cell(met=row[f"met{i}"], breached=row[f"breached{i}"]).compliance)
        for i, first in enumerate(firsts[:-1])
    ]


def hours(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return minutes_text(seconds / 60)


def report_json(report: SlaReport) -> dict[str, object]:
    return {
        "client": report.client.slug,
        "client_name": report.client.name,
        "period": {"from": report.start.isoformat(), "to": (report.end - dt.timedelta(days=1)).isoformat()},
        "incidents": report.incidents,
        "compliance": [
            {
                "target": kind,
                "priority": priority,
                "met": cell.met,
                "breached": cell.breached,
                "open": cell.running,
                "percent": cell.compliance,
            }
            for (kind, priority), cell in sorted(report.cells.items())
        ],
        "totals": {kind: cell.compliance for kind, cell in report.totals.items()},
        "times_seconds": {
            k: {"mean": t.mean, "median": t.median, "count": t.count} for k, t in report.times.items()
        },
        "breaches": [
            {
                "incident": b.incident.reference,
                "target": b.kind,
                "priority": b.priority,
                "breached_at": b.breached_at.isoformat(),
                "reason": b.reason,
            }
            for b in report.breaches
        ],
        "trend": [{"month": month, "percent": value} for month, value in report.trend],
    }


# --- the index of reports: which exist, per client and month ----------------------------------

INDEX_MONTHS = 12


@dataclass
class ReportEntry:
    """One client's report for one month, as the Reports page lists it."""

    client: Client
    month: str  # YYYY-MM
    cell: Cell  # every target together: met and breached clocks opened in the month
    delivery: ReportDelivery | None = None  # the monthly e-mail, once queued

    @property
    def label(self) -> str:
        return dt.date.fromisoformat(f"{self.month}-01").strftime("%B %Y")


def month_list(*, today: dt.date, count: int = INDEX_MONTHS) -> list[str]:
    """The `count` months up to and including `today`'s, newest first (YYYY-MM)."""
    months, first = [], today.replace(day=1)
    for _ in range(count):
        months.append(first.strftime("%Y-%m"))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months


def report_index(*, clients: list[Client], months: list[str]) -> list[ReportEntry]:
    """Each client's report for each month (client order, then newest month first), with its
    overall compliance and its e-mail delivery: ONE aggregate query over the stored clocks (a
    met and a breached count per client and month, each month in the client's own zone) and
    one for the deliveries, however many clients and months."""
    if not clients or not months:
        return []
    windows: list[tuple[Client, str, dt.datetime, dt.datetime]] = []
    for client in clients:
        for month in months:
            first = dt.date.fromisoformat(f"{month}-01")
            since, until = _bounds(client, first, _month_after(first))
            windows.append((client, month, since, until))
    counts: dict[str, Count] = {}
    cover = Q()
    for index, (client, _, since, until) in enumerate(windows):
        window = Q(client=client, opened_at__gte=since, opened_at__lt=until)
        cover |= window
        counts[f"met{index}"] = Count("id", filter=window & _MET)
        counts[f"breached{index}"] = Count("id", filter=window & _BREACHED)
    row = SlaClock.objects.filter(cover).order_by().aggregate(**counts)
    deliveries = {
        (delivery.client_id, delivery.month): delivery
        for delivery in ReportDelivery.objects.filter(client__in=clients, month__in=months)
    }
    return [
        ReportEntry(
            client=client,
            month=month,
            cell=Cell(met=row[f"met{index}"], breached=row[f"breached{index}"]),
            delivery=deliveries.get((client.pk, month)),
        )
        for index, (client, month, _, _) in enumerate(windows)
    ]
