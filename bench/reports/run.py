"""Improvement metrics benchmark: the Metrics pages and their CSV over 100,000 incidents and
1,000,000 alerts, on SQLite or PostgreSQL (target: p95 ≤ 1 s per page).

    .venv/bin/python bench/reports/run.py [--db sqlite|postgres] [--incidents 100000]
                                          [--alerts 1000000] [--clients 100] [--requests 10]

The first run generates the data (bulk inserts) into var/bench-reports-<db>/ (SQLite) or the
PostgreSQL database wk_reports_bench (WATCHKEEPER_DATABASE_URL's server); later runs reuse it.
Incidents are spread over the last 365 days (the pages' default period is the last 90), ten alerts
per incident on average, some alerts without an incident, pages to 50 technicians, and priority
changes on 5 % of incidents. Each page is requested in-process through Django's test client after
a warm-up, as an owner who sees every client: server time only (routing, access, queries,
rendering), no network. Prints p50/p95 and queries per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))


def _environment(db: str) -> None:
    data_dir = ROOT / "var" / f"bench-reports-{db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["WATCHKEEPER_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    if db == "postgres":
        server = os.environ.get("WATCHKEEPER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        base = server.rsplit("/", 1)[0]
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = 'wk_reports_bench'"
            ).fetchone()
            if not found:
                connection.execute('CREATE DATABASE "wk_reports_bench"')
        os.environ["WATCHKEEPER_DATABASE_URL"] = f"{base}/wk_reports_bench"
    else:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _seed(incidents: int, alerts: int, clients: int) -> None:
    from watchkeeper.accounts.models import Role, User
    from watchkeeper.alerts.models import Alert, Integration
    from watchkeeper.core import clock
    from watchkeeper.incidents.models import Incident, TimelineEntry
    from watchkeeper.paging.models import ContactMethod, OutboxMessage
    from watchkeeper.tenancy.models import Client, Service

    if Incident.objects.count() >= incidents:  # a run stopped after the incidents: finish it
        if Alert.objects.count() < alerts:
            Alert.objects.all().delete()
            _seed_alerts(alerts // incidents)
        if not OutboxMessage.objects.exists():
            _seed_pages(incidents)
        return
    began = time.perf_counter()
    rng = random.Random(7)
    now = clock.now()
    User.objects.create_user("bench@msp.example", "x", full_name="Bench", role=Role.OWNER, all_clients=True)
    made = Client.objects.bulk_create(
        [
            Client(name=f"Client {n:03d}", slug=f"client-{n:03d}", timezone="Europe/Berlin")
            for n in range(clients)
        ]
    )
    services = Service.objects.bulk_create(
        [Service(client=c, name=f"Service {k}") for c in made for k in range(10)]
    )
    Integration.objects.bulk_create(
        [
            Integration(
                client=c,
                default_service=services[i * 10],
                name=f"Monitor {c.slug}",
                type="webhook",
                key_hash=f"{i:064d}"[:64],
            )
            for i, c in enumerate(made)
        ]
    )
    zones = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo", "UTC"]
    technicians = [
        User.objects.create_user(
            f"tech{n}@msp.example",
            "x",
            full_name=f"Tech {n}",
            role=Role.TECHNICIAN,
            all_clients=True,
            timezone=zones[n % len(zones)],
        )
        for n in range(50)
    ]
    methods = []
    for user in technicians:
        for kind in ("sms", "push", "email"):
            method = ContactMethod(user=user, kind=kind, label=kind, address_hint=kind)
            method.address = f"mailto://{user.email}"
            methods.append(method)
    ContactMethod.objects.bulk_create(methods)
    categories = ["network", "server", "email", "application", "backup", ""]
    rows = []
    for n in range(incidents):
        client_index = n % clients
        opened = now - dt.timedelta(seconds=rng.random() * 365 * 86400)
        acked = opened + dt.timedelta(seconds=rng.randint(30, 3600)) if rng.random() < 0.9 else None
        resolved = opened + dt.timedelta(seconds=rng.randint(600, 86400)) if rng.random() < 0.95 else None
        rows.append(
            Incident(
                client=made[client_index],
                service=services[client_index * 10 + rng.randrange(10)],
                number=n // clients + 1,
                title=f"Incident {n}",
                category=rng.choice(categories),
                impact="medium",
                urgency="high",
                priority=f"P{rng.randint(1, 5)}",
                status="resolved" if resolved else "acknowledged",
                opened_at=opened,
                acknowledged_at=acked,
                resolved_at=resolved,
            )
        )
    created = Incident.objects.bulk_create(rows, batch_size=5000)
    print(f"  {incidents} incidents in {time.perf_counter() - began:.0f} s", flush=True)
    entries = [
        TimelineEntry(
            incident=i,
            at=i.opened_at + dt.timedelta(minutes=5),
            kind="priority",
            actor_label="bench",
            text="P3 → P2",
            data={"from": f"P{rng.randint(1, 5)}", "to": i.priority},
        )
        for i in created
        if rng.random() < 0.05
    ]
    TimelineEntry.objects.bulk_create(entries, batch_size=5000)
    print(f"  priority changes, {time.perf_counter() - began:.0f} s", flush=True)
    _seed_alerts(alerts // incidents)
    print(f"  {Alert.objects.count()} alerts, {time.perf_counter() - began:.0f} s", flush=True)
    _seed_pages(incidents)
    print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)


def _seed_pages(incidents: int) -> None:
    """Pages to the 50 technicians over SMS, push and e-mail, half as many as incidents."""
    from watchkeeper.accounts.models import User
    from watchkeeper.incidents.models import Incident
    from watchkeeper.paging.models import ContactMethod, OutboxMessage

    rng = random.Random(11)
    technicians = list(User.objects.filter(email__startswith="tech"))
    by_user: dict[int, list[ContactMethod]] = {user.pk: [] for user in technicians}
    for method in ContactMethod.objects.all():
        by_user[method.user_id].append(method)
    opened = list(Incident.objects.values_list("pk", "opened_at"))
    messages = []
    for n in range(incidents // 2):
        incident_id, at = opened[rng.randrange(len(opened))]
        user = technicians[rng.randrange(len(technicians))]
        sent = at + dt.timedelta(seconds=rng.randint(0, 120))
        messages.append(
            OutboxMessage(
                dedup_key=f"bench:{n}", cause=f"page:{incident_id}:0.0:0", user=user,
                contact_method=rng.choice(by_user[user.pk]), incident_id=incident_id, subject="page",
                text="page", state="sent", sent_at=sent, created_at=sent, purpose="page",
            )
        )  # fmt: skip
    OutboxMessage.objects.bulk_create(messages, batch_size=5000)


def _seed_alerts(per_incident: int) -> None:
    """`per_incident` alerts for every incident, in one INSERT … SELECT (the same SQL on SQLite
    and PostgreSQL): first seen at the incident's opening, acknowledged and resolved with it; one
    in a hundred held back as flapping."""
    from django.db import connection

    numbers = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(per_incident))
    sql = f"""
        INSERT INTO alerts_alert (created_at, updated_at, client_id, integration_id, service_id, incident_id,
            dedup_key, status, summary, source, severity, component, "group", alert_class, group_key, labels,
            details, links, images, raw, impact, urgency, category, tags, suppressed, suppressed_reason,
            occurrence_count, first_seen_at, last_seen_at, acknowledged_at, resolved_at)
        SELECT i.opened_at, i.opened_at, i.client_id, g.id, i.service_id, i.id,
            'k' || i.id || '-' || n.k, CASE WHEN i.resolved_at IS NULL THEN 'triggered' ELSE 'resolved' END,
            i.title, 'bench', 'error', '', '', '', '', '{{}}', '{{}}', '[]', '[]', '{{}}', '', '', '', '[]',
            FALSE, CASE WHEN (i.id + n.k) % 100 = 0 THEN 'flapping' ELSE '' END,
            1, i.opened_at, i.opened_at, i.acknowledged_at, i.resolved_at
        FROM incidents_incident i
        JOIN alerts_integration g ON g.client_id = i.client_id
        CROSS JOIN ({numbers}) n
    """  # noqa: S608 - numbers only
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _measure(requests: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client as Http
    from django.test.utils import CaptureQueriesContext

    from watchkeeper.accounts.models import User

    http = Http(SERVER_NAME="localhost")
    http.force_login(User.objects.get(email="bench@msp.example"))
    pages = [
        ("metrics by month (default, 90 days)", "/reports/metrics/", {}),
        ("metrics by client", "/reports/metrics/", {"group": "client"}),
        ("metrics by service", "/reports/metrics/", {"group": "service"}),
        ("metrics CSV by client", "/reports/metrics/", {"group": "client", "format": "csv"}),
        ("noise", "/reports/metrics/", {"view": "noise"}),
        ("noise CSV", "/reports/metrics/", {"view": "noise", "format": "csv"}),
        ("on-call load", "/reports/metrics/", {"view": "load"}),
        ("on-call load CSV", "/reports/metrics/", {"view": "load", "format": "csv"}),
        ("API metrics by priority", "/api/v1/reports/metrics", None),
    ]
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, url, params in pages:
        if params is None:
            continue
        http.get(url, params)  # warm-up
        times = []
        for _ in range(requests):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = http.get(url, params)
                times.append(time.perf_counter() - began)
            assert response.status_code == 200, (label, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{label:40} {statistics.median(times) * 1000:8.0f} {p95 * 1000:8.0f} {len(queries):8d}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    _environment(args.db)
    _seed(args.incidents, args.alerts, args.clients)
    _measure(args.requests)


if __name__ == "__main__":
    main()
