"""UI benchmark: server time of the incident queue and the incident page with a large MSP.

    .venv/bin/python bench/ui/run.py [--db sqlite|postgres] [--incidents 100000] [--clients 200]
                                     [--services 1000] [--requests 40]

The first run generates the data (bulk inserts, with a progress bar) into var/bench-ui-<db>/
(SQLite) or the PostgreSQL database wk_console_bench (WATCHKEEPER_DATABASE_URL's server);
later runs reuse it. Each page is requested in-process through Django's test client after a
warm-up: the time is the server's (URL routing, access checks, queries, template rendering),
without a network or a browser. It prints p50/p95 per page and the queries each needs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def _environment(db: str) -> Path:
    data_dir = ROOT / "var" / f"bench-ui-{db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["WATCHKEEPER_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    if db == "postgres":
        server = os.environ.get("WATCHKEEPER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        base = server.rsplit("/", 1)[0]
        _ensure_database(base, "wk_console_bench")
        os.environ["WATCHKEEPER_DATABASE_URL"] = f"{base}/wk_console_bench"
    else:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    return data_dir


def _ensure_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def _pages(people: dict[str, Any]) -> list[tuple[str, str, str, dict[str, str]]]:
    """(label, who, URL, headers) of every page measured."""
    from watchkeeper.accounts.models import Role
    from watchkeeper.incidents.models import Incident
    from watchkeeper.tenancy.models import Client

    client = Client.objects.order_by("pk").first()
    assert client is not None
    rng = random.Random(3)
    ids = list(Incident.objects.values_list("pk", flat=True)[:: max(1, Incident.objects.count() // 500)])
    open_ids = list(Incident.objects.filter(status="triggered").values_list("pk", flat=True)[:200])
    own = list(Incident.objects.filter(client=client).values_list("pk", flat=True)[:50])
    tech, portal = Role.TECHNICIAN, Role.CLIENT_USER
    poll = {"HX-Target": "queue"}
    pages = [
        ("queue: open (default)", tech, "/incidents/", {}),
        ("queue: live refresh", tech, "/incidents/", poll),
        ("queue: all statuses", tech, "/incidents/?status=all", {}),
        ("queue: all, page 200", tech, "/incidents/?status=all&page=200", {}),
        ("queue: one client", tech, f"/incidents/?client={client.slug}&status=all", {}),
        ("queue: P1, all", tech, "/incidents/?priority=P1&status=all", {}),
        ("queue: mine", tech, "/incidents/?owner=mine", {}),
        ("queue: unassigned", tech, "/incidents/?owner=none", {}),
        ("queue: text search", tech, "/incidents/?status=all&q=firewall", {}),
        ("queue: reference", tech, f"/incidents/?status=all&q={client.slug}-42", {}),
        ("portal: incidents", portal, "/portal/incidents/?show=past", {}),
    ]
    detail = [("incident page", tech, f"/incidents/{rng.choice(ids)}/", {}) for _ in range(40)]
    detail += [("incident page (open)", tech, f"/incidents/{rng.choice(open_ids)}/", {}) for _ in range(40)]
    detail += [("portal: incident", portal, f"/portal/incidents/{rng.choice(own)}/", {}) for _ in range(40)]
    return pages + detail


def measure(people: dict[str, Any], requests: int) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    browsers = {}
    for role, user in people.items():
        browsers[role] = HttpClient()
        browsers[role].force_login(user)
    samples: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    pages = _pages(people)
    for label, who, url, headers in pages:  # warm-up: caches, query plans
        assert browsers[who].get(url, headers=headers).status_code == 200, (label, url)
    repeat = [page for page in pages if not page[0].startswith(("incident page", "portal: incident"))]
    rounds = [*(repeat * requests), *[page for page in pages if page not in repeat]]
    random.Random(5).shuffle(rounds)
    for label, who, url, headers in rounds:
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = browsers[who].get(url, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            cpu.setdefault(label, []).append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (label, url, response.status_code)
        samples.setdefault(label, []).append(elapsed)
        queries[label] = max(queries.get(label, 0), len(captured.captured_queries))
    return [
        {"page": label, "n": len(values), "p50_ms": round(statistics.median(values), 1),
         "p95_ms": round(_p95(values), 1), "queries": queries[label],
         "cpu_p50_ms": round(statistics.median(cpu[label]), 1), "cpu_p95_ms": round(_p95(cpu[label]), 1)}
        for label, values in samples.items()
    ]  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--services", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per list page")
    args = parser.parse_args()
    data_dir = _environment(args.db)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The test client's host. Not setup_test_environment(): it instruments template rendering
    # (a copy of every context for the test client), which would be measured too.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from data import generate  # the module beside this script

    started = time.perf_counter()
    world = generate(clients=args.clients, services=args.services, incidents=args.incidents)
    if world["generated"]:
        print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        _analyze()
    results = measure(world["people"], args.requests)
    _report(args, results, data_dir)


def _analyze() -> None:
    """Planner statistics after the bulk load, as autovacuum (PostgreSQL) would gather them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _report(args: argparse.Namespace, results: list[dict[str, Any]], data_dir: Path) -> None:
    from django.db import connection

    from watchkeeper.incidents.models import Incident

    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else connection.pg_version
    print(
        f"\n{Incident.objects.count()} incidents, {args.clients} clients, {args.services} services"
        f" · {connection.vendor} {version} · Python {platform.python_version()}"
        f" · {os.cpu_count()} CPUs (shared)"
    )
    print(f"{'page':<24} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8} {'queries':>8}")
    for row in sorted(results, key=lambda r: r["page"]):
        flag = "" if row["p95_ms"] <= 200 else "  > 200 ms"
        print(
            f"{row['page']:<24} {row['n']:>4} {row['p50_ms']:>8} {row['p95_ms']:>8}"
            f" {row['cpu_p50_ms']:>8} {row['cpu_p95_ms']:>8} {row['queries']:>8}{flag}"
        )
    print("(p50/p95: wall-clock server time; cpu: the web process's own CPU time, which a busy")
    print(" machine inflates less; on PostgreSQL the database server's CPU is not in it.)")
    (data_dir / "results.json").write_text(json.dumps({"db": args.db, "results": results}, indent=2))


if __name__ == "__main__":
    main()
