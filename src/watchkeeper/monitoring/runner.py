"""The `watchkeeper monitor` process: claims due monitors, runs their checks on one asyncio
event loop, and writes results in batches.

- Bounded concurrency: at most CONCURRENCY checks at once, and at most PER_HOST against one
  host, so a client's single server is never hammered by its own monitors.
- On time: monitors due within the next HORIZON are claimed ahead and each check starts at its
  due time; the lag (start − due) is stored with each result.
- Durable: the schedule is in the database (monitoring.scheduling); this process keeps only the
  checks in flight and the results not yet written (at most FLUSH_SECONDS of them).
- The database is used from one worker thread (Django connections are per thread), so checks
  never wait on a query.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections

from watchkeeper.core import clock
from watchkeeper.monitoring.checks import check_run
from watchkeeper.monitoring.results import Outcome, results_record
from watchkeeper.monitoring.scheduling import Claimed, monitors_claim

log = logging.getLogger("watchkeeper.monitoring")

CONCURRENCY = 1000
PER_HOST = 50
HORIZON = dt.timedelta(seconds=2)
POLL_SECONDS = 0.5
FLUSH_SECONDS = 0.5
CLAIM_LIMIT = 2000
STOP_GRACE = 2.0  # seconds checks in flight get to finish when the process is asked to stop

T = TypeVar("T")


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class MonitorRunner:
    def __init__(
        self, *, owner: str | None = None, concurrency: int = CONCURRENCY, per_host: int = PER_HOST
    ) -> None:
        self.owner = owner or process_name()
        self.concurrency = concurrency
        self.per_host = per_host
        self.pending: list[Outcome] = []
        self.in_flight = 0
        self.stats = {"checks": 0, "written": 0, "claims": 0}
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor-db")
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.per_host))
        self._slots: asyncio.Semaphore | None = None

    async def _in_db(self, function: Callable[..., T], **kwargs: Any) -> T:
        def call() -> T:
            close_old_connections()
            return function(**kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._db, call)

    async def _run_one(self, claimed: Claimed) -> None:
        slots = self._slots or asyncio.Semaphore(self.concurrency)
        try:
            delay = (claimed.due_at - clock.now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            async with slots, self._hosts[claimed.host]:
                started = clock.now()
                lag_ms = max(0, int((started - claimed.due_at).total_seconds() * 1000))
                result = await check_run(claimed.spec)
            self.pending.append(Outcome(claimed.spec.monitor_id, started, lag_ms, result))
            self.stats["checks"] += 1
        except Exception:  # a bug in one check must not stop the others
            log.exception("monitor %s: the check crashed", claimed.spec.monitor_id)
        finally:
            self.in_flight -= 1

    async def _flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        started = time.monotonic()
        try:
            self.stats["written"] += await self._in_db(results_record, outcomes=batch)
            log.debug("wrote %d results in %.3f s", len(batch), time.monotonic() - started)
        except Exception:
            log.exception("writing %d results failed; retrying with the next batch", len(batch))
            self.pending[:0] = batch[-5000:]  # bounded: the oldest are dropped if the database stays down
            await asyncio.sleep(1)

    async def run(self, stop: threading.Event, *, cycles: int | None = None) -> None:
        """Until `stop` is set (or for `cycles` polls, in tests)."""
        self._slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        last_flush = time.monotonic()
        done = 0
        while not stop.is_set() and (cycles is None or done < cycles):
            room = min(CLAIM_LIMIT, self.concurrency * 4 - self.in_flight)
            if room > 0:
                try:
                    t_claim = time.monotonic()
                    claimed = await self._in_db(monitors_claim, owner=self.owner, horizon=HORIZON, limit=room)
                    log.debug("claimed %d in %.3f s, %d in flight", len(claimed), time.monotonic() - t_claim,
                              self.in_flight)  # fmt: skip
                except Exception:
                    log.exception("claiming due monitors failed")
                    claimed = []
                self.stats["claims"] += 1
                for item in claimed:
                    self.in_flight += 1
                    task = asyncio.create_task(self._run_one(item))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            if time.monotonic() - last_flush >= FLUSH_SECONDS:
                await self._flush()
                last_flush = time.monotonic()
            done += 1
            for _ in range(5):  # POLL_SECONDS, in steps: a stop is seen within a tenth of a second
                if stop.is_set():
                    break
                await asyncio.sleep(POLL_SECONDS / 5)
        if tasks:
            # Checks in flight get a moment to finish; the rest are abandoned (their next runs are
            # already in their rows), so stopping never takes longer than a supervisor waits.
            await asyncio.wait(tasks, timeout=STOP_GRACE if stop.is_set() else 60)
        await self._flush()

    def close(self) -> None:
        self._db.shutdown(wait=True)


def run_forever(stop: threading.Event) -> None:
    runner = MonitorRunner()
    try:
        asyncio.run(runner.run(stop))
    finally:
        runner.close()


async def _run_due(runner: MonitorRunner, claimed: list[Claimed]) -> None:
    runner._slots = asyncio.Semaphore(runner.concurrency)
    runner.in_flight += len(claimed)
    await asyncio.gather(*(runner._run_one(item) for item in claimed))


def run_due_once(*, owner: str = "once") -> int:
    """Run every monitor due now, once, in this thread, and record the results; returns how
    many ran. For tests and `watchkeeper monitor --once` (the clock may be fast-forwarded)."""
    claimed = monitors_claim(owner=owner, horizon=dt.timedelta(0), limit=100_000)
    if not claimed:
        return 0
    runner = MonitorRunner(owner=owner)
    try:
        asyncio.run(_run_due(runner, claimed))
    finally:
        runner.close()
    results_record(outcomes=runner.pending)
    return len(claimed)
