"""Reading monitors: lists with state, uptime and sparkline (a fixed number of queries per
page), one monitor with its history, each client's network policy."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.monitoring.models import (
    Monitor,
    MonitorResult,
    MonitorRollup,
    MonitorState,
    NetworkPolicy,
    Resolution,
)
from watchkeeper.monitoring.results import overdue_grace
from watchkeeper.monitoring.rollups import floor, rolled_until
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

SPARK_HOURS = 24
RANGES = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30),
          "365d": dt.timedelta(days=365)}  # fmt: skip


def monitor_list(
    *, actor: access.ActorLike, client: Client | None = None, state: str = ""
) -> QuerySet[Monitor]:
    qs = access.scope_for(
        Monitor.objects.select_related("client", "service", "parent"), actor, "integrations.view"
    )
    if client is not None:
        qs = qs.filter(client=client)
    if state:
        if state == "overdue":
            return qs.filter(is_enabled=True, next_run_at__lt=clock.now() - dt.timedelta(seconds=30))
        if state == "paused":
            return qs.filter(is_enabled=False)
        if state not in MonitorState.values:
            raise InvalidInput(
                f"Unknown state '{state}': up, down, pending, paused or overdue.", field="state"
            )
        qs = qs.filter(state=state, is_enabled=True)
    return qs.order_by("client__name", "name", "pk")


def monitor_access(*, actor: access.ActorLike, pk: int) -> Monitor:
    qs = access.scope_for(
        Monitor.objects.select_related("client", "service", "parent", "integration"),
        actor,
        "integrations.view",
    )
    return access.object_access(actor, qs, pk=pk)


def is_overdue(monitor: Monitor, *, now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    return monitor.is_enabled and monitor.next_run_at < now - overdue_grace(monitor)


@dataclass
class Summary:
    """A monitor's last 24 hours: uptime % and the hourly average response times."""

    checks: int = 0
    failures: int = 0
    spark: list[int | None] = field(default_factory=lambda: [None] * SPARK_HOURS)

    @property
    def uptime(self) -> float | None:
        return None if not self.checks else round(100 * (self.checks - self.failures) / self.checks, 2)


def summaries(monitors: Sequence[Monitor]) -> dict[int, Summary]:
    """Uptime and sparkline of a page of monitors, from the last 24 hours of raw results (kept
    48 h): two queries whatever the page's size."""
    now = clock.now()
    start = floor(now, Resolution.HOUR) - dt.timedelta(hours=SPARK_HOURS - 1)
    ids = [m.pk for m in monitors]
    result: dict[int, Summary] = {pk: Summary() for pk in ids}
    if not ids:
        return result
    totals = (
        MonitorResult.objects.filter(monitor_id__in=ids, checked_at__gte=now - dt.timedelta(hours=24))
        .values("monitor_id")
        .annotate(checks=Count("id"), failures=Count("id", filter=Q(ok=False)))
    )
    for row in totals:
        result[row["monitor_id"]].checks, result[row["monitor_id"]].failures = row["checks"], row["failures"]
    # The sparkline from the minute rollups plus the newest minutes not rolled up yet.
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    rolled = rolled_until(Resolution.MINUTE) or start
    rollups = MonitorRollup.objects.filter(
        monitor_id__in=ids, resolution=Resolution.MINUTE, bucket__gte=start, bucket__lt=rolled
    ).values_list("monitor_id", "bucket", "ms_avg", "count")
    for monitor_id, bucket, avg, count in rollups:
        if avg is not None:
            slot = sums[(monitor_id, int((bucket - start).total_seconds() // 3600))]
            slot[0] += avg * count
            slot[1] += count
    recent = MonitorResult.objects.filter(
        monitor_id__in=ids, checked_at__gte=max(rolled, start), response_ms__isnull=False
    ).values_list("monitor_id", "checked_at", "response_ms")
    for monitor_id, checked_at, ms in recent:
        slot = sums[(monitor_id, int((checked_at - start).total_seconds() // 3600))]
        slot[0] += ms or 0
        slot[1] += 1
    for (monitor_id, hour), (total, count) in sums.items():
        if 0 <= hour < SPARK_HOURS and count:
            result[monitor_id].spark[hour] = round(total / count)
    return result


@dataclass
class Point:
    at: dt.datetime
    checks: int
    failures: int
    ms_avg: int | None
    ms_p95: int | None


def history(*, monitor: Monitor, range_name: str) -> list[Point]:
    """The monitor's response times and failures over a range, from its rollups: per minute
    (grouped by 5) for 24 h, per hour for 7 and 30 days, per day for a year."""
    span = RANGES.get(range_name)
    if span is None:
        raise InvalidInput(f"Unknown range '{range_name}': {', '.join(RANGES)}.", field="range")
    now = clock.now()
    resolution = Resolution.MINUTE if span <= dt.timedelta(hours=24) else Resolution.HOUR
    group = {"24h": 300, "7d": 3600, "30d": 3600, "365d": 86400}[range_name]
    start = now - span
    rows = MonitorRollup.objects.filter(
        monitor=monitor, resolution=resolution, bucket__gte=start
    ).values_list("bucket", "count", "failures", "ms_avg", "ms_p95")
    grouped: dict[int, list[Any]] = {}
    for bucket, count, failures, avg, p95 in rows.order_by("bucket"):
        key = int(bucket.timestamp()) // group
        item = grouped.setdefault(key, [0, 0, 0, 0, None])
        item[0] += count
        item[1] += failures
        if avg is not None:
            item[2] += avg * count
            item[3] += count
        if p95 is not None:
            item[4] = max(item[4] or 0, p95)
    return [
        Point(dt.datetime.fromtimestamp(key * group, tz=dt.UTC), c, f, round(s / n) if n else None, p)
        for key, (c, f, s, n, p) in sorted(grouped.items())
    ]


def uptime(*, monitor: Monitor, span: dt.timedelta) -> float | None:
    """Uptime % over `span`: hour rollups up to the last rolled hour, raw results after it."""
    now = clock.now()
    start = now - span
    mark = rolled_until(Resolution.HOUR) or start
    checks = failures = 0
    if mark > start:
        for count, failed in MonitorRollup.objects.filter(
            monitor=monitor, resolution=Resolution.HOUR, bucket__gte=start, bucket__lt=mark
        ).values_list("count", "failures"):
            checks, failures = checks + count, failures + failed
    tail = MonitorResult.objects.filter(monitor=monitor, checked_at__gte=max(mark, start)).aggregate(
        n=Count("id"), f=Count("id", filter=Q(ok=False))
    )
    checks, failures = checks + tail["n"], failures + tail["f"]
    return None if not checks else round(100 * (checks - failures) / checks, 3)


def results_page(*, monitor: Monitor, limit: int, before: dt.datetime | None = None) -> list[MonitorResult]:
    qs = MonitorResult.objects.filter(monitor=monitor)
    if before is not None:
        qs = qs.filter(checked_at__lt=before)
    return list(qs.order_by("-checked_at", "-pk")[:limit])


def recent_results(*, monitor: Monitor, limit: int = 50) -> QuerySet[MonitorResult]:
    return MonitorResult.objects.filter(monitor=monitor).order_by("-checked_at")[:limit]


def network_policy(*, client: Client) -> list[str]:
    policy = NetworkPolicy.objects.filter(client=client).first()
    return list(policy.allowed_networks) if policy else []


def parent_choices(
    *, actor: access.ActorLike, client: Client, exclude: int | None = None
) -> QuerySet[Monitor]:
    qs = monitor_list(actor=actor, client=client)
    return qs.exclude(pk=exclude) if exclude else qs
