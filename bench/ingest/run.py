"""Ingest benchmark: Watchkeeper's intake against Debian's Alertmanager on the same machine.

    .venv/bin/python bench/ingest/run.py [--db sqlite|postgres] [--seconds 20] [--runs 3]
    .venv/bin/python bench/ingest/run.py --serve [--db sqlite|postgres] [--seconds 15] [--runs 3]

Each run starts a fresh installation (web and engine as real processes, a new data directory
and database) and measures with wrk at 16 connections:

  pd      single-event PagerDuty Events v2 triggers, unique dedup keys (events/s, p50, p99)
  pd+eng  the same while the engine processes the inbox beside it
  am      Alertmanager webhook notifications of 100 alerts each (alerts/s)
  ref     Alertmanager itself taking one alert per POST /api/v2/alerts (events/s, p50, p99)
  drain   the engine alone working off the inbox the runs above filled (rows/s)

With --serve it measures `watchkeeper serve` under the alert storm instead (serve.py).

It prints every run and the medians, and the ratio Watchkeeper/Alertmanager for single events.
See README.md beside this file for what the figures mean and the ones measured.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.compat.live import Stack, free_port  # noqa: E402 — the repository root must be importable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import serve_line, serve_report, serve_run  # noqa: E402 — beside this file

HERE = Path(__file__).resolve().parent
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
NULL_CONFIG = """
route: {receiver: nowhere, group_wait: 30s, group_interval: 5m, repeat_interval: 4h}
receivers: [{name: nowhere}]
"""
WARMUP_SECONDS = 3


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self, unit: str = "events/s", per_request: int = 1) -> str:
        rate = self.requests_per_second * per_request
        text = f"{rate:8.0f} {unit}  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms"
        return text + (f"  ({self.errors} errors)" if self.errors else "")


def wrk(url: str, script: Path, seconds: int, connections: int, *args: str) -> Load:
    """Run wrk with a Lua script and read its summary."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    output = subprocess.run(
        [*command, *(["--", *args] if args else [])], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = sum(
        int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout):? (\d+)", output)
    )
    return Load(rate, _percentile(output, "50%"), _percentile(output, "99%"), errors)


def _percentile(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(url: str, script: Path, seconds: int, connections: int, *args: str) -> Load:
    wrk(url, script, WARMUP_SECONDS, connections, *args)  # first requests load code and caches
    return wrk(url, script, seconds, connections, *args)


class ReferenceAlertmanager:
    """Debian's Alertmanager with a receiver that sends nothing: only its intake works."""

    def __init__(self, root: Path) -> None:
        assert ALERTMANAGER is not None
        (root / "am.yml").write_text(NULL_CONFIG)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={root / 'am.yml'}", f"--storage.path={root / 'am'}",
             f"--web.listen-address={self.url[7:]}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            if subprocess.run(["curl", "-fs", self.url + "/-/ready"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("Alertmanager did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


_DRAINED = """
import datetime as dt
from django.db.models import Count, Max, Min
from watchkeeper.alerts.models import InboxEvent
since = dt.datetime.fromtimestamp(SINCE, tz=dt.UTC)
done = InboxEvent.objects.filter(status='done', processed_at__gte=since, kind='pagerduty')
span = done.aggregate(n=Count('id'), start=Min('processed_at'), end=Max('processed_at'))
result = [span['n'], (span['end'] - span['start']).total_seconds() if span['n'] > 1 else 0.0]
"""


def drain_rate(stack: Stack, seconds: float) -> float:
    """PagerDuty inbox rows (each a new alert and incident) the engine, alone on the machine,
    processes per second, timed from the rows' own processing times. The web processes are
    stopped; the PagerDuty rows come first in the inbox, before the Alertmanager rows of 100
    alerts each."""
    before = stack.pending_inbox()
    assert before > 0, "the inbox is empty: nothing to drain"
    since = time.time()
    stack.start_engine()
    deadline = time.monotonic() + seconds + 3  # start-up
    while time.monotonic() < deadline and stack.pending_inbox() > 0:
        time.sleep(0.5)
    stack.kill("engine")
    rows, span = stack.python(_DRAINED.replace("SINCE", repr(since)))
    assert rows > 1 and span > 0, "the engine processed nothing"
    return float(rows) / float(span)


def one_run(args: argparse.Namespace) -> dict[str, Load | float]:
    results: dict[str, Load | float] = {}
    with tempfile.TemporaryDirectory(prefix="wk-bench-") as tmp, Stack(Path(tmp), database=args.db) as stack:
        stack.migrate()
        keys = stack.seed("pagerduty", "alertmanager")
        base = stack.start_web(workers=args.workers, threads=args.threads)
        pd, am = HERE / "pagerduty.lua", HERE / "alertmanager.lua"
        results["pd"] = measure(base + "/v2/enqueue", pd, args.seconds, args.connections, keys["pagerduty"])
        results["am"] = measure(
            f"{base}/integrations/alertmanager/{keys['alertmanager']}", am, args.seconds, args.connections
        )
        # The drain first, while the inbox holds what the two loads left: the engine can keep up
        # with the load below, so afterwards there may be nothing left to drain.
        stack.kill("web")
        results["drain"] = drain_rate(stack, args.drain_seconds)
        base = stack.start_web(workers=args.workers, threads=args.threads)
        stack.start_engine()
        results["pd+eng"] = measure(
            base + "/v2/enqueue", pd, args.seconds, args.connections, keys["pagerduty"]
        )
        stack.kill("engine")
        stack.kill("web")
        if ALERTMANAGER and not args.skip_alertmanager:
            reference = ReferenceAlertmanager(Path(tmp))
            try:
                results["ref"] = measure(
                    reference.url + "/api/v2/alerts", HERE / "reference.lua", args.seconds, args.connections
                )
            finally:
                reference.stop()
    return results


def report(runs: list[dict[str, Load | float]], args: argparse.Namespace) -> None:
    print(f"\nMedians of {len(runs)} runs, {args.db}, {args.seconds} s each, {args.connections} connections:")
    medians: dict[str, Load] = {}
    for name in ("pd", "pd+eng", "am", "ref"):
        loads = [run[name] for run in runs if isinstance(run.get(name), Load)]
        if loads:
            medians[name] = Load(
                *(statistics.median(getattr(x, f) for x in loads) for f in Load.__annotations__)
            )  # type: ignore[arg-type]
    labels = {
        "pd": ("PagerDuty single events", "events/s", 1),
        "pd+eng": ("  … with the engine running", "events/s", 1),
        "am": ("Alertmanager webhook, 100/POST", "alerts/s", 100),
        "ref": ("Debian Alertmanager /api/v2/alerts", "events/s", 1),
    }
    for name, load in medians.items():
        label, unit, per = labels[name]
        print(f"  {label:36} {load.line(unit, per)}")
    drain = statistics.median(float(run["drain"]) for run in runs)
    print(f"  {'engine drain (incidents opened)':36} {drain:8.0f} rows/s")
    if "ref" in medians:
        ratio = medians["pd"].requests_per_second / medians["ref"].requests_per_second
        print(f"  Watchkeeper/Alertmanager single-event ratio: {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--drain-seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per web worker")
    parser.add_argument("--skip-alertmanager", action="store_true")
    parser.add_argument(
        "--serve", action="store_true", help="the alert storm against `watchkeeper serve` (serve.py)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    if args.serve:
        peer = ReferenceAlertmanager if ALERTMANAGER and not args.skip_alertmanager else None
        served = []
        for number in range(1, args.runs + 1):
            served.append(serve_run(args, HERE, wrk, peer))
            print(f"run {number}: {serve_line(served[-1])}", flush=True)
        serve_report(served, args)
        return 0
    runs = []
    for number in range(1, args.runs + 1):
        result = one_run(args)
        runs.append(result)
        shown = "  ".join(f"{k} {v.requests_per_second:.0f}/s p99 {v.p99_ms:.0f}ms" if isinstance(v, Load)
                          else f"{k} {v:.0f}/s" for k, v in result.items())  # fmt: skip
        print(f"run {number}: {shown}", flush=True)
    report(runs, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
