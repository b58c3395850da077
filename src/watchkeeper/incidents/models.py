"""Incidents, their per-client numbers and their append-only timelines."""

from __future__ import annotations

from typing import Any

from django.db import models

from watchkeeper.core import clock
from watchkeeper.tenancy.models import ClientOwned


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_INCIDENT_STATUSES = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED)


class IncidentCounter(models.Model):
    """The last incident number used per client; taken under a row lock."""

    client = models.OneToOneField("tenancy.Client", on_delete=models.CASCADE, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.client_id}: {self.last_number}"


class Incident(ClientOwned):
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=1024)
    description = models.TextField(blank=True)
    service = models.ForeignKey("tenancy.Service", on_delete=models.PROTECT, related_name="incidents")
    category = models.CharField(max_length=40, blank=True)
    impact = models.CharField(max_length=40)
    urgency = models.CharField(max_length=40)
    priority = models.CharField(max_length=10)
    status = models.CharField(max_length=15, choices=IncidentStatus.choices, default=IncidentStatus.TRIGGERED)
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_incidents"
    )
    # Alerts with this key (per service) join this incident while it is open and within the window.
    group_key = models.CharField(max_length=1024, blank=True)
    opened_at = models.DateTimeField(default=clock.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "number"], name="unique_incident_number")]
        indexes = [
            models.Index(fields=["client", "status", "-opened_at"], name="incident_client_status"),
            models.Index(fields=["status", "priority", "-opened_at"], name="incident_queue"),
            models.Index(fields=["service", "group_key", "status"], name="incident_grouping"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title[:60]}"

    @property
    def reference(self) -> str:
        """The human reference, e.g. ACME-42 (the client's slug in capitals, then the number)."""
        return f"{self.client.slug.upper()}-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATUSES


class TimelineKind(models.TextChoices):
    OPENED = "opened", "Opened"
    ALERT = "alert", "Alert"
    STATUS = "status", "Status change"
    NOTE = "note", "Note"
    PRIORITY = "priority", "Priority change"
    OWNER = "owner", "Owner change"
    CHANGE = "change", "Change event"
    PAGE = "page", "Page"


class TimelineEntry(models.Model):
    """Append-only: entries are added, never edited or removed."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=clock.now)
    kind = models.CharField(max_length=15, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=254, help_text="Who, as text: a person's e-mail, an integration, 'system'"
    )
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    # Client-visible entries are what the client's portal and e-mails show; all others are internal.
    client_visible = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "at"], name="timeline_incident_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Timeline entries are append-only")
        super().save(*args, **kwargs)
