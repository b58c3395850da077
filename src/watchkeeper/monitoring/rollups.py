"""Rollups and retention: raw results for RAW_RETENTION, per-minute aggregates for
MINUTE_RETENTION, per-hour aggregates for HOUR_RETENTION (count, failures, min/avg/p95/max
response time). Run by an engine job every minute; resumes from `RollupMark`, so a stopped
engine catches up, and running a window twice writes the same rows (upserts).

Hour rollups are computed from raw results (kept 48 h, long enough for any catch-up of the
job) so their p95 is exact, not a percentile of percentiles.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from watchkeeper.core import clock
from watchkeeper.monitoring.models import MonitorResult, MonitorRollup, Resolution, RollupMark

RAW_RETENTION = dt.timedelta(hours=48)
MINUTE_RETENTION = dt.timedelta(days=7)
HOUR_RETENTION = dt.timedelta(days=400)
SETTLE = dt.timedelta(minutes=2)  # results of a minute may still arrive this long after it
MAX_MINUTES_PER_RUN = 120
MAX_HOURS_PER_RUN = 3
PRUNE_CHUNK = 20_000
_STEP: dict[str, dt.timedelta] = {
    Resolution.MINUTE: dt.timedelta(minutes=1),
    Resolution.HOUR: dt.timedelta(hours=1),
}


def floor(moment: dt.datetime, resolution: str) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    if resolution == Resolution.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(second=0, microsecond=0)


def _p95(values: list[int]) -> int | None:
    if not values:
        return None
    values.sort()
    return values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]


def _aggregate(
    rows: Iterable[tuple[int, dt.datetime, bool, int | None]], resolution: str
) -> list[MonitorRollup]:
    buckets: dict[tuple[int, dt.datetime], list[tuple[bool, int | None]]] = defaultdict(list)
    for monitor_id, checked_at, ok, ms in rows:
        buckets[(monitor_id, floor(checked_at, resolution))].append((ok, ms))
    rollups: list[MonitorRollup] = []
    for (monitor_id, bucket), items in buckets.items():
        times = [ms for _, ms in items if ms is not None]
        rollups.append(MonitorRollup(
            monitor_id=monitor_id, resolution=resolution, bucket=bucket, count=len(items),
            failures=sum(1 for ok, _ in items if not ok),
            ms_min=min(times) if times else None, ms_max=max(times) if times else None,
            ms_avg=round(sum(times) / len(times)) if times else None, ms_p95=_p95(times),
        ))  # fmt: skip
    return rollups


def _roll(resolution: str, now: dt.datetime) -> int:
    step = _STEP[resolution]
    end = floor(now - SETTLE, resolution)
    mark = RollupMark.objects.select_for_update().filter(resolution=resolution).first()
    if mark is None:
        first = MonitorResult.objects.order_by("checked_at").values_list("checked_at", flat=True).first()
        if first is None:
            return 0
        mark = RollupMark.objects.create(resolution=resolution, rolled_until=floor(first, resolution))
    start = max(mark.rolled_until, floor(now - RAW_RETENTION, resolution))
    end = min(
        end, start + step * (MAX_MINUTES_PER_RUN if resolution == Resolution.MINUTE else MAX_HOURS_PER_RUN)
    )
    if end <= start:
        return 0
    rows = MonitorResult.objects.filter(checked_at__gte=start, checked_at__lt=end).values_list(
        "monitor_id", "checked_at", "ok", "response_ms"
    )
    rollups = _aggregate(rows.iterator(chunk_size=5000), resolution)
    MonitorRollup.objects.bulk_create(
        rollups, batch_size=500, update_conflicts=True, unique_fields=["monitor", "resolution", "bucket"],
        update_fields=["count", "failures", "ms_min", "ms_avg", "ms_p95", "ms_max"],
    )  # fmt: skip
    mark.rolled_until = end
    mark.save(update_fields=["rolled_until"])
    return len(rollups)


def _prune(
    model: type[MonitorResult] | type[MonitorRollup], field: str, cutoff: dt.datetime, **extra: str
) -> int:
    ids = list(
        model.objects.filter(**{f"{field}__lt": cutoff}, **extra).values_list("pk", flat=True)[:PRUNE_CHUNK]
    )
    if not ids:
        return 0
    model.objects.filter(pk__in=ids).delete()
    return len(ids)


def rollups_run() -> str:
    """Roll up what has settled and prune what is past its retention (one engine job run)."""
    now = clock.now()
    with transaction.atomic():
        minutes = _roll(Resolution.MINUTE, now)
    with transaction.atomic():
        hours = _roll(Resolution.HOUR, now)
    with transaction.atomic():
        pruned = _prune(MonitorResult, "checked_at", now - RAW_RETENTION)
        pruned += _prune(MonitorRollup, "bucket", now - MINUTE_RETENTION, resolution=Resolution.MINUTE)
        pruned += _prune(MonitorRollup, "bucket", now - HOUR_RETENTION, resolution=Resolution.HOUR)
    return f"{minutes} minute and {hours} hour rollups, {pruned} rows pruned"


def rolled_until(resolution: str) -> dt.datetime | None:
    return RollupMark.objects.filter(resolution=resolution).values_list("rolled_until", flat=True).first()
