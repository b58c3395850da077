"""Event rules and maintenance windows: per-client decisions applied to incoming events."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models

from watchkeeper.tenancy.models import ClientOwned


def _new_change_token() -> int:
    return secrets.randbits(31)


class ChangeTokenMixin(models.Model):
    """A fresh random `change_token` on every save(), so the ingest cache can tell that a
    client's rules or windows changed by comparing a sum of tokens: timestamps alone can
    collide under a frozen clock, and ids repeat after a rolled-back transaction.
    Bulk `QuerySet.update()` bypasses save(); use it only for counters the cache ignores."""

    change_token = models.PositiveIntegerField(default=_new_change_token, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.change_token = _new_change_token()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "change_token" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "change_token"]
        super().save(*args, **kwargs)


class EventRule(ChangeTokenMixin, ClientOwned):
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
    # Dropped events leave no alert behind; this count is their only trace.
    dropped_count = models.PositiveBigIntegerField(default=0, editable=False)
    last_dropped_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["client", "position", "id"]

    def __str__(self) -> str:
        return self.name


class MaintenanceWindow(ChangeTokenMixin, ClientOwned):
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
