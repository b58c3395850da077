"""Event rules and maintenance windows: per-client decisions applied to incoming events."""

from __future__ import annotations

from django.db import models

from watchkeeper.tenancy.models import ClientOwned


class EventRule(ClientOwned):
    """An ordered rule: when every condition matches, apply the actions.

    conditions: [{"field": "labels.env" | "summary" | "severity" | …,
                  "op": "equals" | "contains" | "regex" | "exists", "value": "…"}]
    actions:    {"service": "<service name>", "severity": "…", "impact": "…", "urgency": "…",
                 "category": "…", "tags": ["…"], "suppress": true, "drop": true,
                 "stop": true (no later rule applies)}
    """

    name = models.CharField(max_length=150)
    position = models.PositiveIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)
    integration = models.ForeignKey(
        "alerts.Integration",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
        help_text="Empty: the rule applies to every integration of the client",
    )
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["client", "position", "id"]

    def __str__(self) -> str:
        return self.name


class MaintenanceWindow(ClientOwned):
    """Alerts during a window are suppressed and recorded, not dropped.

    One-off (starts_at … ends_at) or recurring: `recurrence` is an RFC 5545 RRULE (e.g.
    "FREQ=WEEKLY;BYDAY=SU") whose occurrences start at starts_at's local time in `timezone`
    and last as long as the first one.
    """

    name = models.CharField(max_length=150)
    service = models.ForeignKey(
        "tenancy.Service",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        help_text="Empty: the whole client",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC")
    recurrence = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.name
