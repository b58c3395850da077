"""Integrations: one inbound endpoint with a secret key, for one client."""

from __future__ import annotations

import secrets
import string

from django.db import models

from watchkeeper.tenancy.models import ClientOwned

KEY_ALPHABET = string.ascii_lowercase + string.digits
KEY_LENGTH = 32


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


class IntegrationType(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    OPSGENIE = "opsgenie", "Opsgenie Alert API"
    WEBHOOK = "webhook", "Generic JSON webhook"
    EMAIL = "email", "Inbound e-mail"
    HEARTBEAT = "heartbeat", "Heartbeat / cron check-in"


class Integration(ClientOwned):
    """Turns one tool's events into alerts for one client and a default service.

    `key` is the 32-character secret in URLs, routing keys and e-mail addresses. After a
    rotation the previous key keeps working until `previous_key_expires_at`.
    """

    name = models.CharField(max_length=150)
    type = models.CharField(max_length=20, choices=IntegrationType.choices)
    key = models.CharField(max_length=KEY_LENGTH, unique=True, default=new_key)
    previous_key = models.CharField(max_length=KEY_LENGTH, null=True, blank=True, unique=True)
    previous_key_expires_at = models.DateTimeField(null=True, blank=True)
    default_service = models.ForeignKey(
        "tenancy.Service", on_delete=models.PROTECT, related_name="integrations"
    )
    is_enabled = models.BooleanField(default=True)
    # Per-type settings: webhook templates, e-mail rules, grouping, heartbeat timing (see docs/intake.md).
    config = models.JSONField(default=dict, blank=True)
    # Grouping of alerts into incidents: window in minutes (0: every alert its own incident).
    group_window_minutes = models.PositiveIntegerField(default=60)
    # Events per second allowed for this key (burst of the same size); 0 uses the default.
    rate_limit_per_second = models.PositiveIntegerField(default=0)
    # Heartbeats: the next check-in is due within interval + grace of the last one.
    heartbeat_interval_seconds = models.PositiveIntegerField(default=300)
    heartbeat_grace_seconds = models.PositiveIntegerField(default=60)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="unique_integration_per_client")
        ]

    def __str__(self) -> str:
        return self.name
