"""Paging benchmark: from event accepted to page received, and due timers per second.

    .venv/bin/python bench/paging/run.py latency [--db sqlite|postgres] [--seconds 30] [--background 100]
    .venv/bin/python bench/paging/run.py timers [--timers 20000] [--engines 1 4] [--db sqlite postgres]

latency  A fresh installation (web and one engine as real processes). A background sender
         posts `--background` PagerDuty events per second for another client whose event rule
         suppresses them (real inbox and alert work, nobody paged). Twice a second a probe event
         for the paged client goes in; the time from its 202 to the page arriving at an SMTP
         server on loopback (this process) is the latency. Prints p50, p99 and the maximum.
timers   `--timers` escalation-step timers due now (with keys no incident has: each handler run
         is a fenced no-op, so this measures claiming, running and completing), worked off by
         N engine processes; prints timers per second for each N and database.

See README.md beside this file for the figures measured.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.compat.live import Stack, free_port  # noqa: E402 — the repository root must be importable

WORLD = """
from watchkeeper.accounts.models import User
from watchkeeper.alerts.models import EventRule
from watchkeeper.alerts.services.integrations import integration_create
from watchkeeper.paging.models import (ContactMethod, EscalationLevel, EscalationPolicy, EscalationTarget,
    NotificationRule)
from watchkeeper.tenancy.models import Client, Service
quiet = Client.objects.create(name='Background Ltd', slug='bg')
quiet_service = Service.objects.create(client=quiet, name='Noise')
EventRule.objects.create(client=quiet, name='Background', actions={'suppress': True})
noise = integration_create(actor='bench', client=quiet, type='pagerduty', name='noise', service=quiet_service)
alice = User.objects.create_user('alice@msp.example', full_name='Alice', role='technician', all_clients=True)
method = ContactMethod(user=alice, kind='email', label='Work', address_hint='alice')
method.address = 'alice@msp.example'
method.save()
for urgency in ('high', 'low'):
    NotificationRule.objects.create(user=alice, urgency=urgency, contact_method=method, delay_minutes=0)
acme = Client.objects.get(slug='acme')
policy = EscalationPolicy.objects.create(name='On call', client=acme, is_default=True)
level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=600)
EscalationTarget.objects.create(level=level, kind='user', user=alice)
result = noise.key
"""

TIMERS = """
from watchkeeper.core import clock
from watchkeeper.core.models import Timer
now = clock.now()
Timer.objects.bulk_create([Timer(kind='paging.step', key=f'bench-{n}', due_at=now) for n in range(COUNT)],
                          batch_size=2000)
result = True
"""

DONE = """
from watchkeeper.core.models import Timer
result = Timer.objects.filter(kind='paging.step', state='done').count()
"""


class Sink:
    """SMTP on loopback: when each probe's page arrived (by the probe name in the subject)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        subject = str(message_from_bytes(envelope.content)["Subject"])
        match = re.search(r"probe-\d+", subject)
        if match:
            self.arrived.setdefault(match.group(0), time.monotonic())
        return "250 OK"


def _event(key: str, dedup: str, summary: str) -> dict[str, Any]:
    return {
        "routing_key": key, "event_action": "trigger", "dedup_key": dedup,
        "payload": {"summary": summary, "source": "bench", "severity": "critical"},
    }  # fmt: skip


def _background(url: str, key: str, rate: int, stop: threading.Event) -> None:
    n = 0
    with httpx.Client(timeout=10) as http:
        start = time.monotonic()
        while not stop.is_set():
            http.post(url, json=_event(key, f"noise-{n}", f"noise {n}"))
            n += 1
            ahead = start + n / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)


def latency(args: argparse.Namespace) -> None:
    sink, port = Sink(), free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        "WATCHKEEPER_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "WATCHKEEPER_EMAIL_FROM": "pager@bench.example",
    }
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), database=args.db, env=env) as stack:
        stack.migrate()
        probe_key = stack.seed("pagerduty")["pagerduty"]
        noise_key = stack.python(WORLD)
        url = stack.start_web(workers=2, threads=8) + "/v2/enqueue"
        stack.start_engine(wait=True)  # measured from a running engine, not one still starting
        stop = threading.Event()
        senders = [
            threading.Thread(
                target=_background, args=(url, noise_key, args.background // 4, stop), daemon=True
            )
            for _ in range(4)
        ]
        for sender in senders:
            sender.start()
        time.sleep(3)  # warm-up
        accepted: dict[str, float] = {}
        with httpx.Client(timeout=10) as http:
            for n in range(args.seconds * 2):
                name = f"probe-{n}"
                response = http.post(url, json=_event(probe_key, name, f"Server down {name}"))
                if response.status_code == 202:
                    accepted[name] = time.monotonic()
                time.sleep(0.5)
        time.sleep(5)
        stop.set()
        noise_done = stack.python(
            "from watchkeeper.alerts.models import Alert\nresult = Alert.objects.count()"
        )
        noise_accepted = stack.python(
            "from watchkeeper.alerts.models import InboxEvent\nresult = InboxEvent.objects.count()"
        ) - len(accepted)
        label = stack.db_label
    smtp.stop()
    waits = sorted(sink.arrived[name] - at for name, at in accepted.items() if name in sink.arrived)
    missing = len(accepted) - len(waits)
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else float("nan")
    print(
        f"{label}: {len(waits)} pages, event accepted → page received p50 "
        f"{statistics.median(waits) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms; "
        f"{missing} missing; background events accepted: {noise_accepted} (distinct alerts: {noise_done}) "
        f"(target {args.background}/s for {args.seconds + 8} s)"
    )


def _done_counter(stack: Stack) -> Any:
    """A connection of this process to the stack's database, and a function counting done timers."""
    conn: Any
    if stack.pg_name:
        import psycopg

        conn = psycopg.connect(stack.env["WATCHKEEPER_DATABASE_URL"], autocommit=True)
    else:
        import sqlite3

        conn = sqlite3.connect(f"file:{stack.data_dir / 'watchkeeper.sqlite3'}?mode=ro", uri=True, timeout=30)

    def done() -> int:
        row = conn.execute(
            "SELECT count(*) FROM core_timer WHERE kind = 'paging.step' AND state = 'done'"
        ).fetchone()
        return int(row[0]) if row else 0

    return conn, done


def _wal(conn: Any) -> tuple[int, int, int]:
    """The server's write-ahead log position (bytes) and its checkpoints so far (timed, requested).
    Server-wide: on a server others use too, their writes count as well."""
    row = conn.execute(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, checkpoints_timed, checkpoints_req "
        "FROM pg_stat_bgwriter"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def _wal_report(conn: Any, before: tuple[int, int, int], count: int) -> str:
    after = _wal(conn)
    written, timed, requested = (a - b for a, b in zip(after, before, strict=True))
    per = written / count if count else float("nan")
    return (
        f"; WAL {written / 1e6:.1f} MB ({per:.0f} bytes per timer), "
        f"checkpoints {timed} timed, {requested} requested"
    )


def timers(args: argparse.Namespace) -> None:
    """Rate between the first completed timer and the last (engine start-up excluded)."""
    for db in args.db:
        for engines in args.engines:
            _timers_run(args, db=db, engines=engines)


def _timers_run(args: argparse.Namespace, *, db: str, engines: int) -> None:
    """One run: `--timers` due timers, `engines` engine processes, on `db`."""
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), database=db) as stack:
        stack.migrate()
        stack.python(TIMERS.replace("COUNT", str(args.timers)), timeout=300)
        conn, done = _done_counter(stack)
        wal_before = _wal(conn) if stack.pg_name else None
        for n in range(engines):
            stack._spawn(f"engine{n}", ["engine"])
        deadline = time.monotonic() + 600
        first: tuple[float, int] | None = None
        count, last = 0, time.monotonic()
        while count < args.timers and time.monotonic() < deadline:
            time.sleep(0.05)
            count, last = done(), time.monotonic()
            if first is None and count:
                first = (time.monotonic(), count)
        wal = _wal_report(conn, wal_before, count) if wal_before is not None else ""
        conn.close()
        label = stack.db_label
    if first is None:
        print(f"{label}, {engines} engine(s): no timer ran")
        return
    elapsed = last - first[0]
    rate = (count - first[1]) / elapsed if elapsed else float("nan")
    print(f"{label}, {engines} engine(s): {count} timers done; {rate:.0f} timers/s after the first{wal}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    lat.add_argument("--seconds", type=int, default=30)
    lat.add_argument("--background", type=int, default=100, help="background events per second")
    tim = sub.add_parser("timers")
    tim.add_argument("--timers", type=int, default=20_000)
    tim.add_argument("--engines", type=int, nargs="+", default=[1, 4])
    tim.add_argument("--db", choices=["sqlite", "postgres"], nargs="+", default=["postgres"])
    args = parser.parse_args()
    latency(args) if args.what == "latency" else timers(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
