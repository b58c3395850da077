"""Monitors, their raw results (kept for a short window) and their per-minute and per-hour rollups.

A monitor's schedule lives in its own row (`next_run_at`, `lease_owner`, `lease_until`): the
monitor processes claim due rows under a lease, so a crash loses nothing and several processes
share the work (ADR 0043).
"""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.tenancy.models import ClientOwned


class MonitorKind(models.TextChoices):
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP connect"
    DNS = "dns", "DNS"
    TLS = "tls", "TLS certificate"
    SMTP = "smtp", "SMTP"
    PING = "ping", "ICMP ping"


class MonitorState(models.TextChoices):
    PENDING = "pending", "Pending"
    UP = "up", "Up"
    DOWN = "down", "Down"


class Monitor(ClientOwned):
    """One check of one client's service. `target` is a URL (HTTP), host:port (TCP, TLS, SMTP) or
    a host (DNS name, ping); `settings` holds the kind's options (method, headers, record type…);
    `conditions` are Gatus-style expressions that all must hold for a result to count as up."""

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=MonitorKind.choices)
    service = models.ForeignKey("tenancy.Service", on_delete=models.PROTECT, related_name="monitors")
    target = models.CharField(max_length=1000)
    settings = models.JSONField(default=dict, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.PositiveIntegerField(default=10)
    # Failed checks in a row tolerated before "down": 1 means the second failure in a row alerts.
    retries = models.PositiveIntegerField(default=1)
    # Successful checks in a row needed after "down" before "up" again.
    recovery_threshold = models.PositiveIntegerField(default=1)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    is_enabled = models.BooleanField(default=True)
    # The integration (one per client and service, PagerDuty Events v2 kind) whose inbox the
    # monitor's alerts go through, exactly like every other source's.
    integration = models.ForeignKey(
        "alerts.Integration", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    state = models.CharField(max_length=10, choices=MonitorState.choices, default=MonitorState.PENDING)
    state_since = models.DateTimeField(default=clock.now)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    alert_open = models.BooleanField(default=False)
    overdue_alert_open = models.BooleanField(default=False)  # "check overdue" raised, not yet resolved
    # Why a down monitor raised no alert ("suppressed: the parent Router is down"), else "".
    suppressed_reason = models.CharField(max_length=300, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_message = models.CharField(max_length=500, blank=True)

    next_run_at = models.DateTimeField(default=clock.now)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client__name", "name", "pk"]
        indexes = [models.Index(fields=["is_enabled", "next_run_at"], name="monitor_due")]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="unique_monitor_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class MonitorResult(models.Model):
    """One check's outcome, kept for RAW_RETENTION (48 h) and then only as rollups."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    # How late the run started after its due time, in milliseconds ("check overdue" and lag p99).
    lag_ms = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["monitor", "checked_at"], name="monitor_result_time"),
            models.Index(fields=["checked_at"], name="monitor_result_prune"),
        ]

    def __str__(self) -> str:
        return f"{'up' if self.ok else 'down'} at {self.checked_at:%Y-%m-%d %H:%M:%S}"


class Resolution(models.TextChoices):
    MINUTE = "m", "Minute"
    HOUR = "h", "Hour"


class MonitorRollup(models.Model):
    """Aggregates of one monitor's results over one minute or one hour."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollups")
    resolution = models.CharField(max_length=1, choices=Resolution.choices)
    bucket = models.DateTimeField()
    count = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    ms_min = models.PositiveIntegerField(null=True)
    ms_avg = models.PositiveIntegerField(null=True)
    ms_p95 = models.PositiveIntegerField(null=True)
    ms_max = models.PositiveIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "resolution", "bucket"], name="unique_rollup_bucket"),
        ]
        indexes = [models.Index(fields=["resolution", "bucket"], name="monitor_rollup_prune")]

    def __str__(self) -> str:
        return f"{self.get_resolution_display()} from {self.bucket:%Y-%m-%d %H:%M}"


class RollupMark(models.Model):
    """How far rollups have been computed, per resolution: the engine job resumes from here."""

    resolution = models.CharField(max_length=1, choices=Resolution.choices, unique=True)
    rolled_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_resolution_display()} rollups until {self.rolled_until:%Y-%m-%d %H:%M}"


class NetworkPolicy(models.Model):
    """Which private networks one client's server-side monitors may reach (part 7 of issue 18).

    Without a row, or with an empty list, only public addresses (and what the operator allows
    installation-wide with WATCHKEEPER_OUTBOUND_ALLOW) are reachable."""

    client = models.OneToOneField("tenancy.Client", on_delete=models.CASCADE, related_name="+")
    allowed_networks = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return ", ".join(self.allowed_networks) or "public addresses only"
