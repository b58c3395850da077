"""The engine loop: heartbeat, then every due job, then sleep until the next cycle.

Several engines may run at once: a job is claimed with a conditional UPDATE on its
due time, so exactly one engine runs each due occurrence.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F

from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.core import clock
from watchkeeper.engine import paging as _paging_handlers  # noqa: F401 (registers timer handlers)
from watchkeeper.engine import sla as _sla_handlers  # noqa: F401 — registers the SLA timer handlers
from watchkeeper.engine import wakeup
from watchkeeper.engine.jobs import JOBS, Job
from watchkeeper.engine.models import EngineProcess, PeriodicJob
from watchkeeper.engine.outbox import outbox_run_due
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
    ran = inbox_process()
    ran += timers_run_due()
    ran += outbox_run_due()
    ran += sum(run_job(job) for job in JOBS)
    if process is not None:
        EngineProcess.objects.filter(pk=process.pk).update(
            last_cycle_at=clock.now(), cycles=F("cycles") + 1, last_cycle_seconds=time.monotonic() - started
        )
    return ran


def run_forever(stop: threading.Event) -> None:
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
        EngineProcess.objects.filter(pk=process.pk).update(stopped_at=clock.now())
        log.info("engine %s stopped", process)
