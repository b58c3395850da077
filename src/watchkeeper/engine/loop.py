"""The engine loop: heartbeat, then every due job, then sleep until the next cycle.

Several engines may run at once: a job is claimed with a conditional UPDATE on its
due time, so exactly one engine runs each due occurrence.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.urls import get_resolver

from watchkeeper.alerts.services.processing import PASS_SECONDS, inbox_process
from watchkeeper.core import clock
from watchkeeper.core.writelock import checkpoints_offload
from watchkeeper.engine import wakeup
from watchkeeper.engine.jobs import Job
from watchkeeper.engine.models import EngineProcess, PeriodicJob
from watchkeeper.engine.outbox import outbox_run_due
from watchkeeper.engine.registry import JOBS, OUTBOXES, TIMERS, URGENT_TIMERS
from watchkeeper.engine.timers import timers_run_due

log = logging.getLogger("watchkeeper.engine")


def register_process() -> EngineProcess:
    return EngineProcess.objects.create(hostname=socket.gethostname()[:200], pid=os.getpid())


def _claim(job: Job) -> bool:
    """Move the job's due time forward if it is due; True when this engine won it."""
    now = clock.now()
    PeriodicJob.objects.get_or_create(name=job.name, defaults={"next_due_at": now})
    claimed = PeriodicJob.objects.filter(name=job.name, next_due_at__lte=now).update(
        next_due_at=now + job.every, last_started_at=now
    )
    return claimed == 1


def _due_jobs() -> list[Job]:
    """The jobs worth claiming now: one read of every job's due time, so that a busy engine,
    going round many times a second, does not write (on SQLite: take the write lock) six times
    per cycle to learn that nothing is due. The claim still decides between engines."""
    now = clock.now()
    due_at = dict(PeriodicJob.objects.values_list("name", "next_due_at"))
    return [job for job in JOBS if job.name not in due_at or due_at[job.name] <= now]


def run_job(job: Job) -> bool:
    """Run one job if due. Returns whether it ran."""
    if not _claim(job):
        return False
    try:
        with transaction.atomic():
            result = job.run()
    except Exception:
        log.exception("engine job %s failed", job.name)
        PeriodicJob.objects.filter(name=job.name).update(
            failures=F("failures") + 1,
            last_error=traceback.format_exc()[-4000:],
            last_finished_at=clock.now(),
        )
        return True
    PeriodicJob.objects.filter(name=job.name).update(
        runs=F("runs") + 1, last_result=result[:200], last_error="", last_finished_at=clock.now()
    )
    return True


def run_cycle(process: EngineProcess | None = None) -> int:
    """One pass: the inbox first (latency matters there), then due timers, then every due job.
    Returns how much work was done (inbox events plus jobs run)."""
    started = time.monotonic()
    phases: list[tuple[str, int, float]] = []
    for name, step in _PHASES:
        begun = time.monotonic()
        phases.append((name, step(), time.monotonic() - begun))
    seconds = time.monotonic() - started
    if seconds >= settings.ENGINE_SLOW_CYCLE_SECONDS:
        log.info(
            "slow engine cycle: %.2f s (%s)",
            seconds, ", ".join(f"{name} {count} in {took:.2f} s" for name, count, took in phases),
        )  # fmt: skip
    if process is not None:
        _heartbeat(process, seconds=seconds)
    return sum(count for _, count, _ in phases)


_PHASES: tuple[tuple[str, Callable[[], int]], ...] = (
    ("inbox", lambda: inbox_process(seconds=PASS_SECONDS)),
    ("timers", lambda: timers_run_due(handlers=TIMERS, first=URGENT_TIMERS)),
    ("outbox", lambda: sum(outbox_run_due(outbox=outbox) for outbox in OUTBOXES)),
    ("jobs", lambda: sum(run_job(job) for job in _due_jobs())),
)


HEARTBEAT_EVERY = dt.timedelta(seconds=1)


def _heartbeat(process: EngineProcess, *, seconds: float) -> None:
    """Count the cycle; record it at most once a second (the readiness probe allows minutes): a
    busy engine would otherwise write its heartbeat, and queue for SQLite's lock, every cycle.
    The process row in memory holds what is not written yet."""
    process.unrecorded_cycles += 1
    process.last_cycle_seconds = seconds
    last = process.last_cycle_at
    if last is None or clock.now() - last >= HEARTBEAT_EVERY:
        _heartbeat_write(process)


def _heartbeat_write(process: EngineProcess) -> None:
    now = clock.now()
    EngineProcess.objects.filter(pk=process.pk).update(
        last_cycle_at=now,
        cycles=F("cycles") + process.unrecorded_cycles,
        last_cycle_seconds=process.last_cycle_seconds,
    )
    process.last_cycle_at, process.unrecorded_cycles = now, 0


def warm_up() -> None:
    """Load what the first page would otherwise load while an incident waits: the URL
    configuration (links in pages are reversed from it; importing it, the API's schemas
    included, took 0.7 s of the first page's latency)."""
    get_resolver().reverse_dict  # noqa: B018 — the property loads and indexes every URL


def run_forever(stop: threading.Event) -> None:
    warm_up()
    # SQLite: the engine's commits must not checkpoint while web writers wait for its turn.
    checkpoints_offload()
    process = register_process()
    wakeup.install()
    wakeup.listen(stop)
    log.info("engine %s started", process)
    interval = settings.ENGINE_INTERVAL_SECONDS
    try:
        while not stop.is_set():
            close_old_connections()
            busy = 0
            try:
                busy = run_cycle(process)
            except Exception:
                # A database blip must not kill the engine; the next cycle retries.
                log.exception("engine cycle failed")
            # With work flowing, go round again at once; idle, wait for the interval or a
            # wake-up (work committed by this or, on PostgreSQL, any process).
            if not busy:
                wakeup.wait(stop, interval)
    finally:
        if process.unrecorded_cycles:
            _heartbeat_write(process)
        EngineProcess.objects.filter(pk=process.pk).update(stopped_at=clock.now())
        log.info("engine %s stopped", process)
