"""Demo monitors: two live ones against the demo's own server (the console `make run` starts,
on the port `watchkeeper demo --port` names, WATCHKEEPER_PORT by default), so the monitor process
has something real to check, and clearly marked examples of every other kind, paused (their
targets are not reachable from a demo). The live monitors come with two days of results and a
month of hourly rollups, so their charts and uptime show at once. Idempotent: monitors are keyed
on (client, name)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from watchkeeper.core import clock
from watchkeeper.monitoring.models import (
    Monitor,
    MonitorResult,
    MonitorRollup,
    NetworkPolicy,
    Resolution,
    RollupMark,
)
from watchkeeper.monitoring.rollups import floor
from watchkeeper.monitoring.services import monitor_create, network_policy_set
from watchkeeper.tenancy.models import Client, Service

ACTOR = "demo"
CLIENT = "hvdental"
EXAMPLE = " (example, paused)"


def _specs(port: int) -> list[dict[str, Any]]:
    return [
        {"name": "Front-desk firewall", "service": "Practice firewalls and Wi-Fi", "kind": "tcp",
         "target": f"127.0.0.1:{port}", "interval_seconds": 60, "timeout_seconds": 5, "retries": 2},
        {"name": "Online booking website", "service": "Online booking website", "kind": "http",
         "target": f"http://127.0.0.1:{port}/healthz", "interval_seconds": 60, "timeout_seconds": 10,
         "conditions": ["[STATUS] == 200", "[RESPONSE_TIME] < 1000"], "parent": "Front-desk firewall"},
        {"name": "Booking site DNS" + EXAMPLE, "service": "Online booking website", "kind": "dns",
         "target": "harbourviewdental.example",
         "settings": {"record_type": "A", "expected": "203.0.113.25"}},
        {"name": "Booking site certificate" + EXAMPLE, "service": "Online booking website", "kind": "tls",
         "target": "harbourviewdental.example:443", "conditions": ["[CERTIFICATE_EXPIRATION] > 336h"],
         "interval_seconds": 3600},
        {"name": "Mail relay" + EXAMPLE, "service": "Microsoft 365 mail", "kind": "smtp",
         "target": "mail.harbourviewdental.example:25", "settings": {"starttls": True},
         "interval_seconds": 300},
        {"name": "Imaging server HVD-IMG01" + EXAMPLE, "service": "Imaging server HVD-IMG01", "kind": "ping",
         "target": "10.20.1.15", "parent": "Front-desk firewall"},
    ]  # fmt: skip


def monitoring_load(*, created: Counter[str], port: int = 8000) -> None:
    client = Client.objects.filter(slug=CLIENT).first()
    if client is None:
        return
    if not NetworkPolicy.objects.filter(client=client).exists():
        networks = ["127.0.0.1/32", "10.20.0.0/16"]
        network_policy_set(actor=ACTOR, client=client, networks=networks, via="demo")
    made: list[Monitor] = []
    for spec in _specs(port):
        if Monitor.objects.filter(client=client, name=spec["name"]).exists():
            continue
        fields = dict(spec)
        service = Service.objects.get(client=client, name=fields.pop("service"))
        parent_name = fields.pop("parent", None)
        parent = Monitor.objects.get(client=client, name=parent_name) if parent_name else None
        monitor = monitor_create(
            actor=ACTOR, client=client, service=service, parent=parent, via="demo",
            is_enabled=EXAMPLE not in spec["name"], **fields,
        )  # fmt: skip
        made.append(monitor)
        created["monitor"] += 1
    for monitor in made:
        if monitor.is_enabled:
            _history(monitor)
    if made:
        mark = floor(clock.now(), Resolution.MINUTE) - dt.timedelta(minutes=5)
        for resolution in (Resolution.MINUTE, Resolution.HOUR):
            RollupMark.objects.get_or_create(
                resolution=resolution, defaults={"rolled_until": floor(mark, resolution)}
            )


def _history(monitor: Monitor) -> None:
    """Results every five minutes for 48 hours, hourly rollups for 30 days, with one outage."""
    rng = random.Random(monitor.pk)  # noqa: S311 — demo numbers
    now = clock.now()
    outage = (now - dt.timedelta(hours=30), now - dt.timedelta(hours=29, minutes=40))
    results, minutes = [], []
    for step in range(48 * 12, 0, -1):
        at = now - dt.timedelta(minutes=5 * step)
        ok = not outage[0] <= at < outage[1]
        ms = rng.randint(8, 40) + (rng.randint(100, 400) if rng.random() < 0.03 else 0)
        results.append(MonitorResult(monitor=monitor, checked_at=at, ok=ok, response_ms=ms if ok else None,
                                     message="" if ok else "connection refused"))  # fmt: skip
        if at >= now - dt.timedelta(hours=24):
            minutes.append(MonitorRollup(monitor=monitor, resolution=Resolution.MINUTE, bucket=floor(at, "m"),
                                         count=1, failures=0 if ok else 1, ms_min=ms, ms_avg=ms, ms_p95=ms,
                                         ms_max=ms))  # fmt: skip
    MonitorResult.objects.bulk_create(results, batch_size=500)
    hours = []
    top = floor(now, Resolution.HOUR)
    for step in range(30 * 24, 0, -1):
        bucket = top - dt.timedelta(hours=step)
        failures = 20 if bucket == floor(outage[0], Resolution.HOUR) else 0
        avg = rng.randint(15, 30)
        p95, top_ms = avg + rng.randint(5, 60), avg + rng.randint(60, 300)
        hours.append(
            MonitorRollup(
                monitor=monitor,
                resolution=Resolution.HOUR,
                bucket=bucket,
                count=60,
                failures=failures,
                ms_min=avg - 8,
                ms_avg=avg,
                ms_p95=p95,
                ms_max=top_ms,
            )
        )
    MonitorRollup.objects.bulk_create(minutes + hours, batch_size=500, ignore_conflicts=True)
