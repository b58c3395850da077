"""Integrations: one inbound endpoint with a secret key, for one client."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.db import models

from watchkeeper.core.crypto import SecretUnreadable, lookup_hash, secret_decrypt, secret_encrypt
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

    Neither key is stored in plain text (ADR 0025): intake finds an integration by the key's
    `lookup_hash`, and the key itself is kept encrypted so managers can see it again.
    """

    name = models.CharField(max_length=150)
    type = models.CharField(max_length=20, choices=IntegrationType.choices)
    key_hash = models.CharField(max_length=64, unique=True)
    key_encrypted = models.TextField()
    previous_key_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    previous_key_encrypted = models.TextField(blank=True)
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.key_hash:
            self.key = new_key()
        super().save(*args, **kwargs)

    @property
    def key(self) -> str:
        # Decrypted once per instance: intake keeps instances in a short cache and reads the
        # key for rate limiting on every event.
        plain = self.__dict__.get("_key_plain")
        if plain is None:
            plain = _readable(self.key_encrypted)
            self.__dict__["_key_plain"] = plain
        return plain

    @key.setter
    def key(self, value: str) -> None:
        self.key_hash, self.key_encrypted = lookup_hash(value), secret_encrypt(value)
        self.__dict__["_key_plain"] = value

    @property
    def previous_key(self) -> str | None:
        plain = self.__dict__.get("_previous_key_plain")
        if plain is None:
            plain = _readable(self.previous_key_encrypted)
            self.__dict__["_previous_key_plain"] = plain
        return plain or None

    @previous_key.setter
    def previous_key(self, value: str | None) -> None:
        self.previous_key_hash = lookup_hash(value) if value else None
        self.previous_key_encrypted = secret_encrypt(value) if value else ""
        self.__dict__["_previous_key_plain"] = value or ""

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_key_plain", None)
        self.__dict__.pop("_previous_key_plain", None)
        super().refresh_from_db(*args, **kwargs)


def _readable(token: str) -> str:
    if not token:
        return ""
    try:
        return secret_decrypt(token)
    except SecretUnreadable:
        return ""
