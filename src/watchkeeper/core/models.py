"""Abstract base models shared by every app."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        abstract = True

    def touch_fields(self, *fields: str) -> list[str]:
        """Set `updated_at` and return the update_fields list for save()."""
        self.updated_at = clock.now()
        return [*fields, "updated_at"]


class TimerState(models.TextChoices):
    PENDING = "pending", "Pending"
    LEASED = "leased", "Leased"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Timer(models.Model):
    """A future action as a row (DESIGN.md section 4.2): written in the same transaction as the
    change that caused it, claimed by an engine under a lease when due, run by the handler
    registered for its `kind` (see `watchkeeper.engine.timers`).

    Invariant: (kind, key) is unique. Setting a timer again replaces its due time and payload and
    bumps `version`; a worker only completes the version it claimed (fencing), so a change made
    while the handler ran makes the timer run again instead of being lost.
    """

    kind = models.CharField(max_length=64, help_text="Handler name, e.g. 'paging.incident'")
    key = models.CharField(max_length=255, help_text="Subject within the kind, e.g. an incident id")
    due_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=TimerState.choices, default=TimerState.PENDING)
    version = models.PositiveIntegerField(default=1)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_timer_kind_key")]
        indexes = [models.Index(fields=["state", "due_at"], name="timer_due")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} @ {self.due_at:%Y-%m-%d %H:%M:%S} ({self.state})"
