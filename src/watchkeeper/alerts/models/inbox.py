"""The durable inbox: every accepted event is a row before the sender hears 202."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock


class InboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Processed"
    FAILED = "failed", "Failed"


class InboxEvent(models.Model):
    """One accepted event, in arrival order (`id`). The engine processes pending rows in
    id order, so events for one dedup key apply in the order they arrived; a row turns
    `done` in the same transaction as its effects, so a crash repeats nothing."""

    integration = models.ForeignKey("alerts.Integration", on_delete=models.CASCADE, related_name="+")
    # The wire format and operation: "pagerduty", "pagerduty_change", "alertmanager", "opsgenie",
    # "opsgenie_ack", "opsgenie_close", "webhook", "email", "heartbeat".
    kind = models.CharField(max_length=30)
    payload = models.JSONField()
    # For formats where the ingest answer names the key (PagerDuty), the key chosen at ingest.
    dedup_key = models.CharField(max_length=255, blank=True)
    # For formats whose clients can ask how their request went (Opsgenie's requestId).
    request_id = models.CharField(max_length=36, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=10, choices=InboxStatus.choices, default=InboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="inbox_pending", condition=models.Q(status="pending")),
            models.Index(fields=["request_id"], name="inbox_request", condition=~models.Q(request_id="")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
