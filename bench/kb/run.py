"""Knowledge-base search benchmark: 10,000 articles, query time p50/p95 through the selector.

    .venv/bin/python bench/kb/run.py --db sqlite|postgres [--articles 10000] [--queries 400]

Builds a fresh database (SQLite in a temporary data directory; PostgreSQL: the database
`wk_kb_bench` on 127.0.0.1, dropped and created again), seeds articles over 50 clients and
MSP-wide (titles of 3–8 words, bodies of 80–400 words from an IT vocabulary, tags), then times
`article_search` (scoping, ranking, loading the rows with their services) for one- to three-word
queries as an owner (every client) and as a technician assigned to 5 clients. Target: p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
PG_NAME = "wk_kb_bench"

WORDS = [
    "disk",
    "full",
    "backup",
    "failed",
    "printer",
    "spooler",
    "queue",
    "vpn",
    "tunnel",
    "firewall",
    "switch",
    "wifi",
    "controller",
    "access",
    "point",
    "dns",
    "dhcp",
    "lease",
    "exchange",
    "mailbox",
    "outlook",
    "profile",
    "teams",
    "sharepoint",
    "onedrive",
    "sync",
    "license",
    "password",
    "reset",
    "mfa",
    "entra",
    "azure",
    "tenant",
    "server",
    "windows",
    "linux",
    "ubuntu",
    "update",
    "patch",
    "reboot",
    "service",
    "restart",
    "sql",
    "database",
    "index",
    "log",
    "rotate",
    "certificate",
    "expired",
    "renew",
    "tls",
    "domain",
    "controller",
    "replication",
    "group",
    "policy",
    "laptop",
    "desktop",
    "monitor",
    "dock",
    "driver",
    "scanner",
    "label",
    "ticket",
    "escalation",
    "client",
    "site",
    "office",
    "router",
    "isp",
    "outage",
    "latency",
    "packet",
    "loss",
    "bandwidth",
    "voip",
    "phone",
    "handset",
    "sip",
    "trunk",
    "antivirus",
    "malware",
    "phishing",
    "quarantine",
    "defender",
    "edr",
    "alert",
    "threshold",
    "memory",
    "cpu",
    "storage",
    "volume",
    "snapshot",
    "hypervisor",
    "vmware",
    "hyperv",
    "cluster",
    "node",
    "failover",
    "raid",
    "rebuild",
    "nas",
    "share",
    "permission",
    "folder",
    "acl",
    "audit",
]


def _setup(db: str, data_dir: str) -> None:
    os.environ["WATCHKEEPER_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    if db == "postgres":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["WATCHKEEPER_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# A knowledge base's words follow Zipf's law: the IT words above are the common ones, and a long
# tail of rarer words (product names, host names, error codes) makes up the rest.
VOCABULARY = WORDS + [f"term{n}" for n in range(20_000)]
WEIGHTS = [1 / (rank + 1) for rank in range(len(VOCABULARY))]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=rng.randint(low, high)))


def _seed(articles: int) -> tuple[object, object]:
    from django.db import connection

    from watchkeeper.accounts.models import Role, User
    from watchkeeper.knowledge.models import Article
    from watchkeeper.tenancy.models import Client, Service

    rng = random.Random(17)
    clients = Client.objects.bulk_create(
        [Client(name=f"Client {n:02d}", slug=f"client-{n:02d}") for n in range(50)]
    )
    services = Service.objects.bulk_create([Service(client=c, name="Server") for c in clients])
    owner = User.objects.create_user("owner@msp.example", "x", full_name="Owner", role=Role.OWNER)
    tech = User.objects.create_user("tech@msp.example", "x", full_name="Tech", role=Role.TECHNICIAN)
    tech.assigned_clients.set(clients[:5])
    rows = []
    for _ in range(articles):
        client = rng.choice([None, *clients])
        tags = f" {' '.join(sorted(set(rng.sample(WORDS, 3))))} "
        rows.append(
            Article(client=client, title=_text(rng, 3, 8).capitalize(), body=_text(rng, 80, 400), tags=tags)
        )
    made = Article.objects.bulk_create(rows, batch_size=1000)
    through = Article.services.through
    by_client = {s.client_id: s for s in services}
    through.objects.bulk_create(
        [through(article_id=a.pk, service_id=by_client[a.client_id].pk) for a in made if a.client_id],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return owner, tech


def _measure(actor: object, queries: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query. On SQLite the database works inside this
    process, so the CPU time is the query's own work, whatever else the machine is doing."""
    from watchkeeper.knowledge.selectors import article_search

    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        article_search(actor=actor, query=query)  # type: ignore[arg-type]
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def _p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1]


def _report(label: str, measured: tuple[list[float], list[float]]) -> None:
    wall, cpu = measured
    print(
        f"{label:<24} n={len(wall):<4} wall p50={statistics.median(wall):6.1f} p95={_p95(wall):6.1f} ms · "
        f"this process's CPU p50={statistics.median(cpu):6.1f} p95={_p95(cpu):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _setup(args.db, data_dir)
        started = time.perf_counter()
        owner, tech = _seed(args.articles)
        print(
            f"{args.db}: load average {os.getloadavg()[0]:.1f}; seeded {args.articles:,} articles "
            f"in {time.perf_counter() - started:.1f} s"
        )
        rng = random.Random(3)
        queries = [_text(rng, 1, 3) for _ in range(args.queries)]
        _measure(owner, queries[:20])  # warm caches
        _report("owner (every client)", _measure(owner, queries))
        _report("technician (5 clients)", _measure(tech, queries))


if __name__ == "__main__":
    main()
