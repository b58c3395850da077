"""Alerts: one deduplicated problem signal, identified by its dedup key while open."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.tenancy.models import ClientOwned


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class AlertStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_STATUSES = (AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED)
RAW_PAYLOAD_LIMIT = 64 * 1024


class Alert(ClientOwned):
    integration = models.ForeignKey("alerts.Integration", on_delete=models.CASCADE, related_name="alerts")
    service = models.ForeignKey("tenancy.Service", on_delete=models.PROTECT, related_name="alerts")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    dedup_key = models.CharField(max_length=512)
    status = models.CharField(max_length=15, choices=AlertStatus.choices, default=AlertStatus.TRIGGERED)
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.ERROR)
    component = models.CharField(max_length=255, blank=True)
    group = models.CharField(max_length=255, blank=True)
    alert_class = models.CharField(max_length=255, blank=True)
    # The grouping key (Alertmanager groupKey, or what the integration's grouping says).
    group_key = models.CharField(max_length=1024, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The last event, truncated to 64 KB")
    # Set by event rules: impact/urgency override the severity's defaults.
    impact = models.CharField(max_length=40, blank=True)
    urgency = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=40, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # Suppressed alerts are kept and shown but page nobody and open no incident.
    suppressed = models.BooleanField(default=False)
    suppressed_reason = models.CharField(max_length=200, blank=True)
    occurrence_count = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=clock.now)
    last_seen_at = models.DateTimeField(default=clock.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            # The dedup key names one open alert per integration; resolved ones free it.
            models.UniqueConstraint(
                fields=["integration", "dedup_key"],
                condition=models.Q(status__in=["triggered", "acknowledged"]),
                name="unique_open_alert_per_dedup_key",
            )
        ]
        indexes = [
            models.Index(fields=["client", "status", "-last_seen_at"], name="alert_client_status"),
            models.Index(fields=["integration", "dedup_key"], name="alert_dedup_key"),
        ]

    def __str__(self) -> str:
        return self.summary[:80]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
