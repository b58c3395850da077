"""SLA report benchmark: one month's report over 10,000 incidents across 50 clients, on SQLite.

    .venv/bin/python bench/sla/run.py [--incidents 10000] [--clients 50] [--runs 3]

Builds a fresh database in a temporary data directory, seeds the incidents with their stored SLA
clocks (three per incident) and breaches (about 8 %) for one month plus five earlier months for
the trend, then times, for every client, the console report page (HTML with the inline SVG trend,
through the real view and middleware) and the PDF download. Prints each run and the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
MONTH = dt.date(2026, 10, 1)


def _setup(data_dir: str) -> None:
    os.environ["WATCHKEEPER_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _seed(incidents: int, clients: int) -> list[str]:
    from watchkeeper.accounts.models import Role, User
    from watchkeeper.incidents.models import Incident
    from watchkeeper.sla.models import SlaBreach, SlaClock, SlaPolicy
    from watchkeeper.tenancy.models import Client, Service

    rng = random.Random(5)
    SlaPolicy.objects.create(name="Standard SLA", tier="standard")
    User.objects.create_user("bench@msp.example", "x", full_name="Bench", role=Role.OWNER, all_clients=True)
    made = Client.objects.bulk_create(
        [
            Client(name=f"Client {n:02d}", slug=f"client-{n:02d}", timezone="Europe/Berlin")
            for n in range(clients)
        ]
    )
    services = Service.objects.bulk_create([Service(client=c, name="Server") for c in made])
    rows, start = [], dt.datetime.combine(MONTH, dt.time(0), dt.UTC) - dt.timedelta(days=150)
    span = (dt.datetime.combine(MONTH, dt.time(0), dt.UTC) + dt.timedelta(days=31) - start).total_seconds()
    per_client = incidents * 6 // 5 // clients  # this month plus a share of the trend months
    for client, service in zip(made, services, strict=True):
        for number in range(1, per_client + 1):
            in_month = number <= incidents // clients
            opened = (
                dt.datetime.combine(MONTH, dt.time(0), dt.UTC)
                + dt.timedelta(seconds=rng.random() * 30 * 86400)
                if in_month
                else start + dt.timedelta(seconds=rng.random() * (span - 31 * 86400))
            )
            rows.append(
                Incident(
                    client=client,
                    service=service,
                    number=number,
                    title=f"Incident {number}",
                    impact="medium",
                    urgency="high",
                    priority=f"P{rng.randint(1, 5)}",
                    status="resolved",
                    opened_at=opened,
                    resolved_at=opened + dt.timedelta(hours=3),
                )
            )
    created = Incident.objects.bulk_create(rows, batch_size=2000)
    clocks, breaches = [], []
    for incident in created:
        for kind, target in (("response", 60), ("update", 120), ("resolution", 480)):
            breached = rng.random() < 0.08
            elapsed = rng.randint(60, target * 60 * (2 if breached else 1))
            clocks.append(
                SlaClock(
                    client_id=incident.client_id,
                    incident=incident,
                    kind=kind,
                    priority=incident.priority,
                    target_minutes=target,
                    state="breached" if breached else "met",
                    started_at=incident.opened_at,
                    opened_at=incident.opened_at,
                    met_at=incident.resolved_at,
                    breached_at=incident.opened_at + dt.timedelta(minutes=target) if breached else None,
                    elapsed_seconds=elapsed,
                )
            )
            if breached:
                due = incident.opened_at + dt.timedelta(minutes=target)
                breaches.append(
                    SlaBreach(
                        client_id=incident.client_id,
                        incident=incident,
                        kind=kind,
                        priority=incident.priority,
                        target_minutes=target,
                        opened_at=incident.opened_at,
                        due_at=due,
                        breached_at=due,
                        reason=rng.choice(["", "Vendor delay", "Waiting on parts"]),
                    )
                )
    SlaClock.objects.bulk_create(clocks, batch_size=5000)
    SlaBreach.objects.bulk_create(breaches, batch_size=5000)
    return [c.slug for c in made]


def _run(slugs: list[str]) -> tuple[float, float, float]:
    from django.test import Client as Http

    from watchkeeper.accounts.models import User

    http = Http(SERVER_NAME="localhost")
    http.force_login(User.objects.get(email="bench@msp.example"))
    month = MONTH.strftime("%Y-%m")
    began, cpu = time.perf_counter(), time.process_time()
    for slug in slugs:
        response = http.get(f"/sla/reports/{slug}/", {"month": month})
        assert response.status_code == 200 and b"<svg" in response.content, response.status_code
    html = time.perf_counter() - began
    began = time.perf_counter()
    for slug in slugs:
        response = http.get(f"/sla/reports/{slug}/pdf", {"month": month})
        assert response.status_code == 200 and response.content[:4] == b"%PDF"
    return html, time.perf_counter() - began, time.process_time() - cpu


def _index(slugs: list[str]) -> tuple[float, float]:
    """The Reports page: every client for the month (two pages of 25), then one client's twelve
    months, for each client."""
    from django.test import Client as Http

    from watchkeeper.accounts.models import User

    http = Http(SERVER_NAME="localhost")
    http.force_login(User.objects.get(email="bench@msp.example"))
    month = MONTH.strftime("%Y-%m")
    began = time.perf_counter()
    for page in range(1, -(-len(slugs) // 25) + 1):
        response = http.get("/sla/reports/", {"month": month, "page": page})
        assert response.status_code == 200, response.status_code
    every = time.perf_counter() - began
    began = time.perf_counter()
    for slug in slugs:
        response = http.get("/sla/reports/", {"client": slug})
        assert response.status_code == 200 and b"/pdf?month=" in response.content, response.status_code
    return every, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wk-bench-sla-") as data_dir:
        _setup(data_dir)
        began = time.perf_counter()
        slugs = _seed(args.incidents, args.clients)
        print(
            f"seeded {args.incidents} incidents of {MONTH:%Y-%m} (+ trend months)"
            f" across {args.clients} clients in {time.perf_counter() - began:.1f} s"
        )
        totals = []
        for run in range(1, args.runs + 1):
            html, pdf, cpu = _run(slugs)
            totals.append(html + pdf)
            print(
                f"run {run}: HTML {html:.2f} s + PDF {pdf:.2f} s = {html + pdf:.2f} s"
                f" for {len(slugs)} client reports (CPU {cpu:.2f} s)"
            )
        print(f"median: {statistics.median(totals):.2f} s (target < 10 s)")
        every, each = _index(slugs)
        print(
            f"Reports page: every client for {MONTH:%Y-%m} in {every:.2f} s;"
            f" each client's twelve months, {len(slugs)} pages, in {each:.2f} s"
        )


if __name__ == "__main__":
    main()
