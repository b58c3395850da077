"""Incidents, their per-client numbers and their append-only timelines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.humanize import times_fill
from watchkeeper.tenancy.models import ClientOwned


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    WAITING_CLIENT = "waiting_client", "Waiting on client"
    WAITING_VENDOR = "waiting_vendor", "Waiting on vendor"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# The one mapping from a status key to the words staff read (console, reports, e-mails). Keys stay
# keys where machines read them (API, CSV); the client's own words are `client_status`.
STATUS_LABELS: dict[str, str] = dict(IncidentStatus.choices)


def status_label(key: str) -> str:
    """ "waiting_client" → "Waiting on client"; an unknown key reads as words, not as a key."""
    return STATUS_LABELS.get(key) or key.replace("_", " ").capitalize()


PRIORITY_RANK_UNKNOWN = 999  # a priority key the policy no longer has sorts last
OPEN_INCIDENT_STATUSES = (
    IncidentStatus.TRIGGERED,
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.WAITING_CLIENT,
    IncidentStatus.WAITING_VENDOR,
)
# Open, but the ball is in someone else's court: SLA policies usually pause the resolution clock.
WAITING_STATUSES = (IncidentStatus.WAITING_CLIENT, IncidentStatus.WAITING_VENDOR)


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
    # The priority's position in the policy (1: most urgent), kept beside the key so the queue
    # sorts on an index; set with the priority, refreshed by the engine if the policy reorders.
    priority_rank = models.PositiveSmallIntegerField(default=PRIORITY_RANK_UNKNOWN)
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
    # When the client last replied (a portal comment) without a technician acting since: the
    # queue and the incident page mark it. Cleared by the next change a technician records.
    client_replied_at = models.DateTimeField(null=True, blank=True)
    # Set when this incident was merged into another: it is resolved and points at the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_incidents"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "number"], name="unique_incident_number")]
        indexes = [
            models.Index(fields=["client", "status", "-opened_at"], name="incident_client_status"),
            models.Index(fields=["status", "priority", "-opened_at"], name="incident_queue"),
            models.Index(fields=["service", "group_key", "status"], name="incident_grouping"),
            # The queue's orders: open work by rank then age; history by rank then newest.
            # Partial: the open queue (and mine, unassigned) walks this in order and stops at 50.
            models.Index(
                fields=["priority_rank", "opened_at", "id"],
                condition=models.Q(
                    status__in=["triggered", "acknowledged", "waiting_client", "waiting_vendor"]
                ),
                name="incident_queue_open",
            ),
            models.Index(fields=["priority_rank", "-opened_at", "id"], name="incident_queue_history"),
            models.Index(fields=["client", "priority_rank", "-opened_at"], name="incident_queue_client"),
            models.Index(fields=["owner", "status", "priority_rank"], name="incident_queue_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title[:60]}"

    @property
    def status_text(self) -> str:
        """The status in words, for sentences: "waiting on client"."""
        return status_label(self.status).lower()

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
    CATEGORY = "category", "Category change"
    RESPONDER = "responder", "Responder change"
    MERGE = "merge", "Merge"
    COMMENT = "comment", "Client comment"
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

    def text_in(self, zone: dt.tzinfo | None) -> str:
        """The text as a reader in `zone` reads it: the times a service stored apart
        (`data["times"]`, core/humanize.py) filled in that zone, labelled."""
        times = self.data.get("times") if isinstance(self.data, dict) else None
        return times_fill(self.text, times if isinstance(times, dict) else None, zone)


class ResponderRole(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    COMMUNICATIONS = "communications", "Communications lead"
    TECHNICIAN = "technician", "Technician"


class Responder(models.Model):
    """A person working on an incident besides (or with) its owner, in one role."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responders")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="responding")
    role = models.CharField(max_length=20, choices=ResponderRole.choices, default=ResponderRole.TECHNICIAN)
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="unique_incident_responder")]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.role} on {self.incident_id}"
