"""Monitor benchmark: N HTTP monitors at one interval against a local HTTP server, run by one
`watchkeeper monitor` process for a while; side by side, Debian's prometheus-blackbox-exporter
probing the same server as fast as it can, when it is installed.

    .venv/bin/python bench/monitor/run.py [--monitors 10000] [--interval 60] [--seconds 300]
                                          [--db sqlite|postgres] [--blackbox-seconds 30]

Reports: checks per second and per CPU-second of the monitor process, scheduling lag p50/p99
(start − due, stored with every result), the process's CPU share and RSS, results that failed,
and database growth per hour (bytes and rows). See README.md beside this file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TICK = os.sysconf("SC_CLK_TCK")
BLACKBOX = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def db_size(env: dict[str, str], data: Path) -> int:
    if env.get("WATCHKEEPER_DATABASE_URL"):
        return int(sql(env, "SELECT pg_database_size(current_database())"))
    # The main file after a checkpoint, less its free pages: the WAL's size says how much was
    # written since the last checkpoint, not what is stored.
    sql(env, "PRAGMA wal_checkpoint(TRUNCATE)")
    pages = int(sql(env, "PRAGMA page_count")) - int(sql(env, "PRAGMA freelist_count"))
    return pages * int(sql(env, "PRAGMA page_size"))


def sql(env: dict[str, str], query: str) -> str:
    code = (
        "import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','watchkeeper.config.settings');"
        "django.setup();from django.db import connection;c=connection.cursor();"
        f"c.execute({query!r});print(c.fetchone()[0])"
    )
    return subprocess.run(
        [PYTHON, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def percentile(env: dict[str, str], since: float, q: float) -> float:
    where = f"WHERE checked_at >= '{_iso(since)}'"  # a time this script formats, not input
    rows = sql(env, f"SELECT COUNT(*) FROM monitoring_monitorresult {where}")  # noqa: S608
    offset = max(0, int(int(rows) * q) - 1)
    return float(sql(env, f"SELECT lag_ms FROM monitoring_monitorresult {where} "  # noqa: S608
                          f"ORDER BY lag_ms LIMIT 1 OFFSET {offset}") or 0)  # fmt: skip


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))


def watchkeeper(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="wk-bench-monitor-"))
    data = root / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    env.update(WATCHKEEPER_DATA_DIR=str(data), WATCHKEEPER_SECRET_KEY=secrets.token_urlsafe(50),
               WATCHKEEPER_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT / "src"))  # fmt: skip
    if args.db == "postgres":
        name = f"wk_bench_monitor_{os.getpid()}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True
        )
        env["WATCHKEEPER_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    port = free_port()
    target = subprocess.Popen([PYTHON, str(HERE / "target.py"), str(port)])
    monitor = None
    try:
        subprocess.run([PYTHON, "-m", "watchkeeper", "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([PYTHON, str(HERE / "seed.py"), str(args.monitors), str(args.interval),
                        f"http://127.0.0.1:{port}"], env=env, check=True)  # fmt: skip
        monitor = subprocess.Popen([PYTHON, "-m", "watchkeeper", "monitor"], env=env)
        time.sleep(args.warmup)
        t0, c0, size0 = time.time(), cpu_seconds(monitor.pid), db_size(env, data)
        rows0 = int(sql(env, "SELECT COUNT(*) FROM monitoring_monitorresult"))
        target_c0 = cpu_seconds(target.pid)
        peak_rss = 0.0
        while time.time() - t0 < args.seconds:
            time.sleep(5)
            peak_rss = max(peak_rss, rss_mb(monitor.pid))
        t1, c1, size1 = time.time(), cpu_seconds(monitor.pid), db_size(env, data)
        target_c1 = cpu_seconds(target.pid)
        rows1 = int(sql(env, "SELECT COUNT(*) FROM monitoring_monitorresult"))
        failed = int(
            sql(
                env,
                f"SELECT COUNT(*) FROM monitoring_monitorresult WHERE NOT ok AND checked_at >= '{_iso(t0)}'",  # noqa: S608
            )
        )
        p50, p99 = percentile(env, t0, 0.50), percentile(env, t0, 0.99)
        elapsed, cpu = t1 - t0, c1 - c0
        # Counted by time, not by the difference of two counts: the counts are taken seconds
        # after t0 and t1 (each is a process that sets Django up).
        checks = int(sql(env, "SELECT COUNT(*) FROM monitoring_monitorresult "  # noqa: S608
                              f"WHERE checked_at >= '{_iso(t0)}' AND checked_at < '{_iso(t1)}'"))  # fmt: skip
        stored = rows1 - rows0
        expected = args.monitors * elapsed / args.interval
        print(f"\nwatchkeeper monitor ({args.db}): {args.monitors} HTTP monitors every {args.interval} s, "
              f"{elapsed:.0f} s measured after {args.warmup} s of warm-up")  # fmt: skip
        share = 100 * checks / expected
        print(f"  checks           {checks} ({checks / elapsed:.1f}/s; {share:.1f} % of the "
              f"{expected:.0f} due), {failed} failed")  # fmt: skip
        print(f"  scheduling lag   p50 {p50:.0f} ms, p99 {p99:.0f} ms")
        print(f"  monitor process  CPU {100 * cpu / elapsed:.0f} % of one core, "
              f"{checks / cpu if cpu else 0:.0f} checks per CPU-second; RSS {peak_rss:.0f} MB")  # fmt: skip
        print(f"  target server    CPU {100 * (target_c1 - target_c0) / elapsed:.0f} % of one core")
        growth = (size1 - size0) / elapsed * 3600 if stored else 0.0
        print(f"  database growth  {growth / 1e6:.1f} MB/hour raw ({checks / elapsed * 3600:.0f} rows/hour; "
              "raw rows are kept 48 h, rollups after)")  # fmt: skip
    finally:
        if monitor is not None:
            monitor.send_signal(signal.SIGTERM)
            monitor.wait(timeout=60)
        target.terminate()
        shutil.rmtree(root, ignore_errors=True)
        if args.db == "postgres":
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"]
            )


async def _hammer(url: str, seconds: float, concurrency: int) -> int:
    done = 0
    deadline = time.monotonic() + seconds
    request = f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    host, port = url.split("/")[2].split(":")

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            body = await reader.read()
            writer.close()
            if b"probe_success 1" in body:
                done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def blackbox(args: argparse.Namespace) -> None:
    if BLACKBOX is None:
        print(
            "\nprometheus-blackbox-exporter is not installed "
            "(apt install prometheus-blackbox-exporter): skipped"
        )
        return
    root = Path(tempfile.mkdtemp(prefix="wk-bench-bbe-"))
    config = root / "blackbox.yml"
    config.write_text("modules:\n  http_2xx:\n    prober: http\n    timeout: 10s\n")
    port, target_port = free_port(), free_port()
    target = subprocess.Popen([PYTHON, str(HERE / "target.py"), str(target_port)])
    command = [BLACKBOX, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    exporter = subprocess.Popen(command,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(2)
        url = f"http://127.0.0.1:{port}/probe?module=http_2xx&target=http://127.0.0.1:{target_port}/"
        c0, t0 = cpu_seconds(exporter.pid), time.time()
        probes = asyncio.run(_hammer(url, args.blackbox_seconds, 32))
        cpu, elapsed = cpu_seconds(exporter.pid) - c0, time.time() - t0
        print(f"\nblackbox_exporter: {probes / elapsed:.0f} probes/s at 32 concurrent scrapes, CPU "
              f"{100 * cpu / elapsed:.0f} % of one core, "
              f"{probes / cpu if cpu else 0:.0f} probes per CPU-second")  # fmt: skip
    finally:
        exporter.terminate()
        target.terminate()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--warmup", type=float, default=70)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--blackbox-seconds", type=float, default=30)
    parser.add_argument("--skip-watchkeeper", action="store_true")
    args = parser.parse_args()
    if not args.skip_watchkeeper:
        watchkeeper(args)
    if args.blackbox_seconds:
        blackbox(args)


if __name__ == "__main__":
    main()
