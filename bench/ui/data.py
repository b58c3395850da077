"""Generate a large MSP for the UI benchmark: clients, services, incidents and their timelines,
with bulk inserts and a progress bar. Idempotent: an existing data set of the right size is kept."""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from watchkeeper.accounts.models import Role, User
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.models.integrations import new_key
from watchkeeper.incidents.models import Incident, IncidentCounter, TimelineEntry
from watchkeeper.tenancy.models import Client, Service

WORDS = (
    "disk full on", "backup failed for", "cannot reach", "slow logins to", "certificate expiring on",
    "printer offline at", "VPN down for", "high CPU on", "mail stuck in", "packet loss to",
)  # fmt: skip
THINGS = ("file server", "ERP", "mail gateway", "firewall", "NAS", "web shop", "CRM", "domain controller")
PRIORITIES = (("P1", "high", "high", 2), ("P2", "high", "medium", 8), ("P3", "medium", "medium", 40),
              ("P4", "low", "medium", 30), ("P5", "low", "low", 20))  # fmt: skip
BATCH = 5_000
PASSWORD = "bench-passphrase-42"  # noqa: S105 - a throwaway benchmark database


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.started = label, total, 0, time.perf_counter()

    def add(self, n: int) -> None:
        self.done += n
        width = 30
        filled = int(width * self.done / max(1, self.total))
        rate = self.done / max(1e-6, time.perf_counter() - self.started)
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r{self.label:<12} [{bar}] {self.done:>7}/{self.total} {rate:8.0f}/s")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _chunks(total: int) -> Iterator[range]:
    for start in range(0, total, BATCH):
        yield range(start, min(total, start + BATCH))


def _people(clients: list[Client]) -> dict[str, User]:
    """A technician of every client, an owner, and one client user of the first client."""
    people = {}
    for email, role, client in (
        ("tech@bench.example", Role.TECHNICIAN, None),
        ("owner@bench.example", Role.OWNER, None),
        ("portal@bench.example", Role.CLIENT_USER, clients[0]),
    ):
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=PASSWORD, full_name=email.split("@")[0].title(), role=role, client=client,
            all_clients=role != Role.CLIENT_USER,
        )  # fmt: skip
        people[role] = user
    return people


def generate(*, clients: int, services: int, incidents: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    if Incident.objects.count() >= incidents and Client.objects.count() >= clients:
        client_rows = list(Client.objects.order_by("pk")[:clients])
        return {"people": _people(client_rows), "generated": False}
    with transaction.atomic():
        Client.objects.bulk_create(
            [Client(name=f"Bench Client {n:03}", slug=f"bc{n:03}") for n in range(clients)], batch_size=BATCH
        )
        client_rows = list(Client.objects.order_by("pk"))
        Service.objects.bulk_create(
            [Service(client=client_rows[n % clients], name=f"Service {n:04}") for n in range(services)],
            batch_size=BATCH,
        )
        service_rows = list(Service.objects.order_by("pk"))
        people = _people(client_rows)
    _incidents(rng, service_rows, people, incidents)
    return {"people": people, "generated": True}


def _incident(rng: random.Random, service: Service, number: int, now: dt.datetime, owner: User) -> Incident:
    key, impact, urgency = rng.choices([p[:3] for p in PRIORITIES], weights=[p[3] for p in PRIORITIES])[0]
    opened = now - dt.timedelta(minutes=rng.randint(5, 2 * 365 * 24 * 60))
    is_open = rng.random() < 0.03  # a busy MSP: ~3% of all incidents open at any time
    status = rng.choice(["triggered", "acknowledged"]) if is_open else rng.choice(["resolved", "closed"])
    return Incident(
        client_id=service.client_id, number=number, service=service, priority=key, impact=impact,
        priority_rank=int(key[1:]),
        urgency=urgency, status=status, title=f"{rng.choice(WORDS)} {rng.choice(THINGS)} #{number}",
        opened_at=opened, resolved_at=None if is_open else opened + dt.timedelta(hours=2),
        owner=owner if rng.random() < 0.5 else None,
    )  # fmt: skip


def _incidents(rng: random.Random, services: list[Service], people: dict[str, User], total: int) -> None:
    now = dt.datetime.now(dt.UTC)
    numbers: dict[int, int] = {}
    integrations = {
        service.client_id: Integration(
            client_id=service.client_id,
            default_service=service,
            name="Bench",
            type="webhook",
            key=new_key(),  # bulk_create skips save(), which would set the key's hash and copy
        )
        for service in services
    }
    Integration.objects.bulk_create(list(integrations.values()), batch_size=BATCH)
    bar = Progress("incidents", total)
    for chunk in _chunks(total):
        rows = []
        for _ in chunk:
            service = rng.choice(services)
            numbers[service.client_id] = numbers.get(service.client_id, 0) + 1
            rows.append(_incident(rng, service, numbers[service.client_id], now, people[Role.TECHNICIAN]))
        with transaction.atomic():
            created = Incident.objects.bulk_create(rows, batch_size=BATCH)
            _timelines(rng, created, integrations)
        bar.add(len(chunk))
    IncidentCounter.objects.bulk_create(
        [IncidentCounter(client_id=client_id, last_number=n) for client_id, n in numbers.items()],
        batch_size=BATCH,
    )


def _timelines(rng: random.Random, incidents: list[Incident], integrations: dict[int, Integration]) -> None:
    """Per incident: opened, one alert, a note or two, and the status changes."""
    entries, alerts = [], []
    for incident in incidents:
        at = incident.opened_at
        entries.append(
            TimelineEntry(incident=incident, at=at, kind="opened", actor_label="bench", text="Opened")
        )
        entries.extend(
            TimelineEntry(
                incident=incident,
                at=at + dt.timedelta(minutes=5 + n),
                kind="note",
                actor_label="bench",
                text=f"Checked **{rng.choice(THINGS)}**; next step {n}",
                client_visible=n == 0,
            )
            for n in range(rng.randint(1, 3))
        )
        if incident.status in ("resolved", "closed"):
            resolved = incident.resolved_at
            entries.append(
                TimelineEntry(
                    incident=incident, at=resolved, kind="status", actor_label="bench", text="Resolved"
                )
            )
        integration = integrations[incident.client_id]
        alerts.append(Alert(
            client_id=incident.client_id, integration=integration, service_id=incident.service_id,
            incident=incident, dedup_key=f"bench/{incident.pk}", summary=incident.title,
            status="resolved" if incident.status in ("resolved", "closed") else "triggered",
        ))  # fmt: skip
    TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    Alert.objects.bulk_create(alerts, batch_size=BATCH)
