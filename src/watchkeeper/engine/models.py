"""Engine bookkeeping: running processes (heartbeats) and periodic jobs with due times."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock


class EngineProcess(models.Model):
    """One `watchkeeper engine` process; its heartbeat feeds /metrics and /readyz."""

    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=clock.now)
    last_cycle_at = models.DateTimeField(null=True, blank=True)
    last_cycle_seconds = models.FloatField(default=0)
    cycles = models.PositiveBigIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Not a column: cycles the running process has done since it last wrote its heartbeat.
    unrecorded_cycles: int = 0

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class PeriodicJob(models.Model):
    """A recurring job. Its due time is a row, so a restart neither skips nor repeats it;
    an engine claims it by moving `next_due_at` forward in one conditional UPDATE."""

    name = models.CharField(max_length=80, unique=True)
    next_due_at = models.DateTimeField(default=clock.now)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
