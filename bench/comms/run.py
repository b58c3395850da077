"""Client-update fan-out benchmark: one update to 1,000 recipients, queued and sent through the
engine's outbox to a local SMTP server.

    .venv/bin/python bench/comms/run.py [--db sqlite|postgres] [--recipients 1000] [--runs 3]

Migrates a fresh database (SQLite in a temporary data directory, or a PostgreSQL database
`wk_comms_bench` at WATCHKEEPER_BENCH_PG, default postgres://postgres@127.0.0.1:5432), seeds one
client whose policy tells its technical contacts, and `--recipients` such contacts. Starts an
aiosmtpd server on loopback as the console's outgoing-mail server. Each run then writes one
client update (`comms.services.update_send`: the timeline entry and one outbox row per
recipient, in one transaction) and runs engine cycles (`engine.loop.run_cycle`, the real claim,
send and record) until every row is sent, and prints the time to queue, the time to send, the
messages per second and how many the SMTP server received. Target (issue 15): 1,000 recipients
in under 30 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "wk_comms_bench"


def _setup(db: str, data_dir: str) -> None:
    os.environ["WATCHKEEPER_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    os.environ.pop("WATCHKEEPER_SMTP_URL", None)
    if db == "postgres":
        import psycopg

        base = os.environ.get("WATCHKEEPER_BENCH_PG", PG_DEFAULT)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["WATCHKEEPER_DATABASE_URL"] = f"{base}/{PG_NAME}"
    else:
        os.environ.pop("WATCHKEEPER_DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.received += len(envelope.rcpt_tos)
        return "250 2.0.0 queued"


def _seed(recipients: int, port: int) -> Any:
    from watchkeeper.accounts.models import Role, User
    from watchkeeper.comms.models import CommunicationPolicy, ContactRoles
    from watchkeeper.incidents.services import incident_open
    from watchkeeper.mail.models import SINGLETON_PK, MailSettings
    from watchkeeper.tenancy.models import Client, Contact, Service

    MailSettings.objects.update_or_create(
        pk=SINGLETON_PK,
        defaults={"host": "127.0.0.1", "port": port, "security": "none", "from_address": "desk@msp.example"},
    )
    user = User.objects.create_user(
        "bench@msp.example", "x", full_name="Bench", role=Role.OWNER, all_clients=True
    )
    client = Client.objects.create(name="Big Client", slug="big", timezone="Europe/Berlin")
    service = Service.objects.create(client=client, name="Everything")
    contacts = Contact.objects.bulk_create(
        Contact(client=client, name=f"Person {n:04d}", email=f"person{n:04d}@big.example")
        for n in range(recipients)
    )
    ContactRoles.objects.bulk_create(ContactRoles(contact=c, roles=["technical"]) for c in contacts)
    CommunicationPolicy.objects.create(
        client=client, rules={"P1": {"roles": ["technical"], "events": ["update"], "cadence_minutes": 60}}
    )
    incident = incident_open(client=client, service=service, title="Everything is down", impact="high",
                             urgency="high", by="bench")  # fmt: skip
    return incident, user


def _run(incident: Any, user: Any, counter: Counter, recipients: int, n: int) -> tuple[float, float]:
    from watchkeeper.comms.models import DeliveryState, UpdateDelivery
    from watchkeeper.comms.services import update_send
    from watchkeeper.engine.loop import run_cycle

    before = counter.received
    started = time.perf_counter()
    update = update_send(incident=incident, by=user, text=f"Update {n}: we are restoring service.")
    queued = time.perf_counter() - started
    while UpdateDelivery.objects.filter(
        update=update, state__in=[DeliveryState.PENDING, DeliveryState.SENDING]
    ).exists():
        run_cycle()
        if time.perf_counter() - started > 600:
            raise SystemExit("not sent within 10 minutes")
    total = time.perf_counter() - started
    sent = UpdateDelivery.objects.filter(update=update, state=DeliveryState.SENT).count()
    assert sent == recipients, f"{sent} of {recipients} sent"
    got = counter.received - before
    print(f"run {n}: queued {recipients} in {queued:.2f} s, all sent after {total:.2f} s "
          f"({recipients / total:.0f} messages/s); the SMTP server received {got}", flush=True)  # fmt: skip
    return queued, total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port (aiosmtpd's controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            _setup(args.db, data_dir)
            import logging

            logging.getLogger("mail.log").setLevel(logging.WARNING)
            incident, user = _seed(args.recipients, port)
            totals = [_run(incident, user, counter, args.recipients, n + 1)[1] for n in range(args.runs)]
            print(f"{args.db}: median {statistics.median(totals):.2f} s for {args.recipients} recipients "
                  f"({args.recipients / statistics.median(totals):.0f} messages/s)")  # fmt: skip
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
