"""Drain benchmark: how fast the engine turns pending inbox rows into alerts and incidents.

    .venv/bin/python bench/ingest/drain.py [--db sqlite|postgres] [--rows 2000] [--runs 3]
                                           [--mix new|repeat|resolve]

Each run uses a fresh database (a SQLite file in a temporary data directory, or a new
PostgreSQL database dropped afterwards), fills the inbox with PagerDuty Events v2 rows the way
the web side does, then times `inbox_process()` in this process until the inbox is empty:

  new      every row a trigger with a new dedup key: a new alert, a new incident, two timeline
           entries and the incident's watcher timers (the costly case, and the issue's target)
  repeat   95 % of the rows re-trigger one of 200 open alerts (an occurrence more), 5 % are new
           keys (a new alert and incident each): the storm of issue 14
  resolve  half new triggers, half the resolves of those alerts (alert and incident resolve)

It prints rows/s and database queries per row for every run, then the medians. No web process
is involved: this is the engine's share alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROFILE = bool(os.environ.get("DRAIN_PROFILE"))
OPEN = 200  # open problems the repeat mix re-triggers  # print the statements that took the time


def _environment(db: str, data_dir: str) -> str | None:
    os.environ["WATCHKEEPER_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    if db != "postgres":
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
        return None
    base = os.environ.get("WATCHKEEPER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"wk_drain_{uuid.uuid4().hex[:8]}"
    os.environ["WATCHKEEPER_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    return name


def _payloads(mix: str, rows: int, routing_key: str) -> list[dict[str, object]]:
    def event(action: str, key: str) -> dict[str, object]:
        payload = {"summary": f"Disk full on {key}", "source": key, "severity": "critical"}
        body: dict[str, object] = {"routing_key": routing_key, "event_action": action, "dedup_key": key}
        return {**body, "payload": payload} if action == "trigger" else body

    if mix == "repeat":  # the first OPEN rows open the problems; then 1 in 20 is a new key
        return [event("trigger", f"host-{n % OPEN}") for n in range(OPEN)] + [
            event("trigger", f"new-{n}" if n % 20 == 19 else f"host-{n % OPEN}") for n in range(rows)
        ]
    if mix == "resolve":
        half = rows // 2
        return [event("trigger", f"host-{n}") for n in range(half)] + [
            event("resolve", f"host-{n}") for n in range(half)
        ]
    return [event("trigger", f"host-{n}") for n in range(rows)]


def run_once(mix: str, rows: int) -> tuple[float, float, float]:
    from django.db import connection

    from watchkeeper.alerts.models import Alert, InboxEvent, InboxStatus
    from watchkeeper.alerts.services.intake import inbox_accept_many
    from watchkeeper.alerts.services.integrations import integration_create
    from watchkeeper.alerts.services.processing import inbox_process
    from watchkeeper.tenancy.models import Client, Service

    tag = uuid.uuid4().hex[:6]
    client = Client.objects.create(name=f"Bench {tag}", slug=f"b{tag}")
    service = Service.objects.create(client=client, name="Practice server")
    integration = integration_create(
        actor="cli", client=client, type="pagerduty", name="RMM", service=service
    )
    payloads = _payloads(mix, rows, integration.key)
    if mix == "repeat":  # open the problems first, outside the measurement
        inbox_accept_many(integration=integration, kind="pagerduty", payloads=payloads[:OPEN])
        while inbox_process():
            pass
        payloads = payloads[OPEN:]
    for start in range(0, len(payloads), 500):
        inbox_accept_many(integration=integration, kind="pagerduty", payloads=payloads[start : start + 500])
    count = [0]

    slow: dict[str, list[float]] = {}

    def counting(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        count[0] += 1
        if not PROFILE:
            return execute(sql, params, many, context)
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            slow.setdefault(sql[:90], []).append(time.perf_counter() - began)

    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counting):
        handled = 0
        while True:
            done = inbox_process()
            if not done:
                break
            handled += done
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    for sql, times in sorted(slow.items(), key=lambda item: -sum(item[1]))[:15]:
        print(f"{sum(times):7.3f} s {len(times):6d}x  {sql}")
    left = InboxEvent.objects.exclude(status=InboxStatus.DONE).count()
    assert left == 0, f"{left} inbox rows not done"
    assert handled == len(payloads), (handled, len(payloads))
    assert Alert.objects.filter(integration=integration).exists()
    return handled / elapsed, count[0] / handled, handled / cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mix", choices=["new", "repeat", "resolve"], default="new")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="wk-drain-")
    db_name = _environment(args.db, data_dir)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False
    if db_name:
        _create_database(db_name)
    try:
        call_command("migrate", verbosity=0)
        results = [run_once(args.mix, args.rows) for _ in range(args.runs)]
    finally:
        connection.close()
        if db_name:
            _drop_database(db_name)
    for number, (rate, per_row, per_cpu) in enumerate(results, 1):
        print(f"run {number}: {rate:7.0f} rows/s  {per_row:5.1f} queries/row  {per_cpu:7.0f} rows/CPU s")
    rate = statistics.median(rate for rate, _, _ in results)
    per_row = statistics.median(per_row for _, per_row, _ in results)
    per_cpu = statistics.median(per_cpu for _, _, per_cpu in results)
    print(
        f"median ({args.db}, {args.mix}, {args.rows} rows): {rate:.0f} rows/s, {per_row:.1f} queries/row, "
        f"{per_cpu:.0f} rows per CPU second of the engine process"
    )


def _admin_connection():  # type: ignore[no-untyped-def]
    import psycopg

    url = os.environ["WATCHKEEPER_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    return psycopg.connect(url, autocommit=True)


def _create_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
