"""`run.py --serve`: the shipped `watchkeeper serve` (web, engine and smtp) under the alert storm.

Each run starts a fresh installation with `watchkeeper serve`, opens 200 problems, then drives
the storm with wrk at 16 connections (storm.lua: 95 % repeats of the 200 open problems, 5 % new
ones) while, beside it,

- a sampler reads `watchkeeper_inbox_pending` from /metrics every half second (the backlog), and
  keeps reading after the load stops until the inbox is empty (drain-to-zero time);
- a prober sends a new P1 problem for another client twice a second; its escalation policy
  pages a technician by e-mail at once, and an SMTP server in this process (the real receiver)
  notes when each page arrives: alert → page latency during the storm.

Debian's Alertmanager then takes the same number of connections for the same time (one new alert
per POST, reference.lua), for the ratio. Prints every run and the medians.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from tests.compat.live import Stack, free_port

OPEN_PROBLEMS = 200
DRAIN_WAIT = 120  # seconds the inbox may take to empty after the load; the figure shows it when it did not

WORLD = """
from watchkeeper.accounts.models import User
from watchkeeper.alerts.services.integrations import integration_create
from watchkeeper.paging.models import (ContactMethod, EscalationLevel, EscalationPolicy, EscalationTarget,
    NotificationRule)
from watchkeeper.tenancy.models import Client, Service
storm = Client.objects.create(name='Storm Logistics', slug='storm')
storm_service = Service.objects.create(client=storm, name='Fleet')
storm_key = integration_create(actor='bench', client=storm, type='pagerduty', name='rmm',
                               service=storm_service).key
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
result = storm_key
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


@dataclass
class ServeRun:
    events_per_second: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    backlog_peak: int = 0
    drain_seconds: float = 0.0  # from the end of the load until the inbox is empty
    page_p50_ms: float = float("nan")
    page_p99_ms: float = float("nan")
    pages: int = 0
    probes: int = 0
    reference: float = float("nan")  # Alertmanager requests/s
    backlog: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, pending)


def _pending(http: httpx.Client, base: str) -> int:
    """The inbox backlog from /metrics; -1 when the scrape timed out (a starved machine)."""
    try:
        text = http.get(base + "/metrics", timeout=30).text
    except httpx.HTTPError:
        return -1
    match = re.search(r"^watchkeeper_inbox_pending (\S+)$", text, re.MULTILINE)
    return int(float(match.group(1))) if match else -1


def _open_problems(base: str, key: str) -> None:
    with httpx.Client(timeout=10) as http:
        for n in range(OPEN_PROBLEMS):
            payload = {"summary": f"CPU above 90% on problem-{n}", "source": "storm", "severity": "error"}
            body = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"problem-{n}",
                "payload": payload,
            }
            http.post(base + "/v2/enqueue", json=body).raise_for_status()
        deadline = time.monotonic() + 60
        while _pending(http, base) != 0 and time.monotonic() < deadline:
            time.sleep(0.2)


def _probe(base: str, key: str, stop: threading.Event, accepted: dict[str, float]) -> None:
    with httpx.Client(timeout=10) as http:
        n = 0
        while not stop.is_set():
            name = f"probe-{n}"
            payload = {"summary": f"Server down {name}", "source": "bench", "severity": "critical"}
            body = {"routing_key": key, "event_action": "trigger", "dedup_key": name, "payload": payload}
            try:
                if http.post(base + "/v2/enqueue", json=body, timeout=30).status_code == 202:
                    accepted[name] = time.monotonic()
            except httpx.HTTPError:
                pass  # not accepted: not counted
            n += 1
            stop.wait(0.5)


def _sample(base: str, started: float, run: ServeRun, stop: threading.Event) -> None:
    with httpx.Client(timeout=10) as http:
        while not stop.is_set():
            pending = _pending(http, base)
            run.backlog.append((time.monotonic() - started, pending))
            run.backlog_peak = max(run.backlog_peak, pending)
            stop.wait(0.5)


def serve_run(args: argparse.Namespace, here: Path, wrk: Any, reference: Any) -> ServeRun:
    run = ServeRun()
    sink, smtp_port = Sink(), free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = {
        "WATCHKEEPER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "WATCHKEEPER_EMAIL_FROM": "pager@bench.example",
    }
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wk-serve-") as tmp,
            Stack(Path(tmp), database=args.db, env=env) as stack,
        ):
            stack.migrate()
            probe_key = stack.seed("pagerduty")["pagerduty"]
            storm_key = stack.python(WORLD)
            port = free_port()
            stack._spawn("serve", ["serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--smtp-host", "127.0.0.1", "--smtp-port", str(free_port())])  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            stack._wait_ready(base + "/healthz", "serve")
            _open_problems(base, storm_key)
            # Warm-up: code and caches load on the first requests.
            wrk(base + "/v2/enqueue", here / "storm.lua", 3, args.connections, storm_key)
            with httpx.Client(timeout=10) as http:
                while _pending(http, base) != 0:
                    time.sleep(0.2)
            stop, accepted = threading.Event(), {}
            started = time.monotonic()
            threads = [
                threading.Thread(target=_sample, args=(base, started, run, stop), daemon=True),
                threading.Thread(target=_probe, args=(base, probe_key, stop, accepted), daemon=True),
            ]
            for thread in threads:
                thread.start()
            load = wrk(base + "/v2/enqueue", here / "storm.lua", args.seconds, args.connections, storm_key)
            load_ended = time.monotonic()
            run.events_per_second, run.p99_ms, run.errors = load.requests_per_second, load.p99_ms, load.errors
            with httpx.Client(timeout=10) as http:
                while _pending(http, base) != 0 and time.monotonic() - load_ended < DRAIN_WAIT:
                    time.sleep(0.1)
            run.drain_seconds = time.monotonic() - load_ended
            stop.set()
            for thread in threads:
                thread.join(10)
            deadline = time.monotonic() + 30
            while len(sink.arrived) < len(accepted) and time.monotonic() < deadline:
                time.sleep(0.2)
            stack.kill("serve", sig=15)
            if reference is not None:
                am = reference(Path(tmp))
                try:
                    run.reference = wrk(am.url + "/api/v2/alerts", here / "reference.lua", args.seconds,
                                        args.connections).requests_per_second  # fmt: skip
                finally:
                    am.stop()
    finally:
        smtp.stop()
    waits = sorted(sink.arrived[name] - at for name, at in accepted.items() if name in sink.arrived)
    run.probes, run.pages = len(accepted), len(waits)
    if waits:
        run.page_p50_ms = statistics.median(waits) * 1000
        run.page_p99_ms = waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000
    return run


def serve_line(run: ServeRun) -> str:
    ratio = run.events_per_second / run.reference if run.reference == run.reference else float("nan")
    return (
        f"{run.events_per_second:6.0f} events/s  p99 {run.p99_ms:6.1f} ms  errors {run.errors}  "
        f"backlog peak {run.backlog_peak}  drained {run.drain_seconds:5.1f} s after the load  "
        f"alert→page p50 {run.page_p50_ms:5.0f} ms p99 {run.page_p99_ms:5.0f} ms "
        f"({run.pages}/{run.probes} pages)  "
        f"Alertmanager {run.reference:6.0f}/s  ratio {ratio:.2f}"
    )


def serve_report(runs: list[ServeRun], args: argparse.Namespace) -> None:
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    median = ServeRun(
        *(statistics.median(getattr(run, name) for run in runs) for name in (
            "events_per_second", "p99_ms", "errors", "backlog_peak", "drain_seconds", "page_p50_ms",
            "page_p99_ms", "pages", "probes", "reference"))
    )  # fmt: skip
    print(
        f"\nwatchkeeper serve, {args.db}, storm of {args.seconds} s at {args.connections} connections, "
        f"medians of {len(runs)} runs:\n  {serve_line(median)}\n  machine load after the runs: {load}"
    )
    for number, run in enumerate(runs, 1):
        shown = " ".join(f"{at:.0f}s:{pending}" for at, pending in run.backlog[::4])
        print(f"  backlog over time, run {number}: {shown}")
