"""Claiming due monitors for a monitor process: the schedule and the lease live in the rows.

A claim moves each monitor's `next_run_at` one interval on (keeping its phase: no drift, no
herd) and leases it to the claiming process, in one transaction; on PostgreSQL rows that
another process is claiming are skipped (`FOR UPDATE SKIP LOCKED`), so any number of monitor
processes share the work. A process that dies loses at most the run it had claimed: the next
one is already in the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from watchkeeper.core import clock
from watchkeeper.monitoring.checks.base import CheckSpec
from watchkeeper.monitoring.models import Monitor, NetworkPolicy
from watchkeeper.monitoring.network import Network, networks_compile
from watchkeeper.monitoring.rows import monitors_save

LEASE_MARGIN = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Claimed:
    spec: CheckSpec
    due_at: dt.datetime
    host: str  # for the per-host concurrency bound


def _next_run(monitor: Monitor, now: dt.datetime) -> dt.datetime:
    interval = dt.timedelta(seconds=monitor.interval_seconds)
    due = monitor.next_run_at
    nxt = due + interval
    if nxt <= now:  # more than an interval behind (the process was down): skip what was missed
        missed = (now - due) // interval
        nxt = due + interval * (missed + 1)
    return nxt


def network_map(client_ids: set[int]) -> dict[int, tuple[Network, ...]]:
    policies = NetworkPolicy.objects.filter(client_id__in=client_ids).only("client_id", "allowed_networks")
    return {p.client_id: networks_compile(p.allowed_networks) for p in policies}


def spec_for(monitor: Monitor, networks: tuple[Network, ...]) -> CheckSpec:
    return CheckSpec(
        monitor_id=monitor.pk, kind=monitor.kind, target=monitor.target, settings=dict(monitor.settings),
        conditions=tuple(monitor.conditions), timeout=float(monitor.timeout_seconds), networks=networks,
    )  # fmt: skip


def target_host(monitor: Monitor) -> str:
    target = monitor.target
    if "://" in target:
        target = target.split("://", 1)[1]
    return target.split("/", 1)[0].rsplit("@", 1)[-1].rsplit(":", 1)[0].lower() or target


def monitors_claim(*, owner: str, horizon: dt.timedelta, limit: int) -> list[Claimed]:
    """Claim up to `limit` enabled monitors due within `horizon` from now, earliest first."""
    now = clock.now()
    with transaction.atomic():
        qs = Monitor.objects.filter(
            is_enabled=True, next_run_at__lte=now + horizon, client__is_active=True
        ).order_by("next_run_at")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        monitors = list(qs[:limit])
        if not monitors:
            return []
        networks = network_map({m.client_id for m in monitors})
        claimed: list[Claimed] = []
        for monitor in monitors:
            due_at = monitor.next_run_at
            claimed.append(Claimed(spec_for(monitor, networks.get(monitor.client_id, ())), due_at,
                                   target_host(monitor)))  # fmt: skip
            monitor.next_run_at = _next_run(monitor, now)
            monitor.lease_owner = owner
            monitor.lease_until = (
                max(now, due_at) + dt.timedelta(seconds=monitor.timeout_seconds) + LEASE_MARGIN
            )
        monitors_save(monitors, ["next_run_at", "lease_owner", "lease_until"])
    return claimed


def next_due_in(*, default: float) -> float:
    """Seconds until the earliest enabled monitor is due (at most `default`)."""
    first = (
        Monitor.objects.filter(is_enabled=True)
        .order_by("next_run_at")
        .values_list("next_run_at", flat=True)[:1]
    )
    if not first:
        return default
    return max(0.0, min(default, (first[0] - clock.now()).total_seconds()))
