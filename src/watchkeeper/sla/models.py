"""Business calendars, SLA policies with per-priority targets, the live clocks of incidents and
the append-only record of breaches."""

from __future__ import annotations

from typing import Any

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.models import TimestampedModel
from watchkeeper.tenancy.models import ClientOwned, ContractTier

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_hours() -> dict[str, list[list[str]]]:
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


def default_thresholds() -> list[int]:
    return [50, 75, 90]


def default_pause_statuses() -> list[str]:
    return ["waiting_client", "waiting_vendor"]


class BusinessCalendar(TimestampedModel):
    """Weekly hours (several intervals a day) in a time zone, closed on public holidays of a
    country/region and on its own closure days. Blank country: the client's country and region."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Empty: the client's time zone")
    # {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], …}; a missing day is closed.
    hours = models.JSONField(default=default_hours)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1; empty: the client's")
    region = models.CharField(
        max_length=10, blank=True, help_text="Subdivision, e.g. BY; empty: the client's"
    )
    public_holidays = models.BooleanField(default=True, help_text="Closed on the country's public holidays")
    is_default = models.BooleanField(default=False, help_text="For clients without a calendar of their own")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarClosure(models.Model):
    """A day the calendar is closed besides public holidays (own closures, iCal imports)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, default="manual", help_text="manual or ical")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="unique_closure_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ClientCalendar(models.Model):
    """A client's own business calendar (tenancy stays free of SLA fields)."""

    client = models.OneToOneField("tenancy.Client", on_delete=models.CASCADE, related_name="sla_calendar")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="client_links")

    def __str__(self) -> str:
        return f"{self.client_id} → {self.calendar_id}"


class SlaPolicy(TimestampedModel):
    """Targets per priority. A policy either is the default of a contract tier (client empty) or
    overrides the tier's default for one client."""

    name = models.CharField(max_length=100, unique=True)
    tier = models.CharField(max_length=20, choices=ContractTier.choices, blank=True)
    client = models.OneToOneField(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policy"
    )
    warning_thresholds = models.JSONField(default=default_thresholds, help_text="Percent of each target")
    pause_statuses = models.JSONField(default=default_pause_statuses)
    response_by_reply = models.BooleanField(
        default=True, help_text="A technician's client-visible note also counts as first response"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["tier"], condition=models.Q(client__isnull=True), name="one_policy_per_tier"
            ),
            models.CheckConstraint(
                condition=~models.Q(tier="", client__isnull=True), name="policy_has_tier_or_client"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, help_text="A priority key of the policy, e.g. P1")
    response_minutes = models.PositiveIntegerField()
    update_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no update target")
    resolution_minutes = models.PositiveIntegerField()
    around_the_clock = models.BooleanField(default=False, help_text="24×7 instead of the business calendar")

    class Meta:
        ordering = ["priority"]
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="unique_target_priority")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.priority}"


class ClockKind(models.TextChoices):
    RESPONSE = "response", "First response"
    UPDATE = "update", "Client update"
    RESOLUTION = "resolution", "Resolution"


class ClockState(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    PAUSED = "paused", "Paused"


RUNNING_STATES = (ClockState.ON_TRACK, ClockState.AT_RISK)


class SlaClock(ClientOwned):
    """The stored state of one target of one incident, recomputed from the incident's history by
    the engine (`sla.incident` timer); kept for sorting and filtering, never the source of truth."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(max_length=12, choices=ClockKind.choices)
    priority = models.CharField(max_length=10)
    target_minutes = models.PositiveIntegerField()
    around_the_clock = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=ClockState.choices)
    cycle = models.PositiveIntegerField(default=0, help_text="Update clock: which interval this is")
    started_at = models.DateTimeField()
    # The incident's opening, copied so reports select a period without joining incidents.
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty while paused or finished")
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0, help_text="Business time used so far")
    warned_percent = models.PositiveSmallIntegerField(default=0, help_text="Highest warning sent this cycle")
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["incident", "kind"]
        constraints = [models.UniqueConstraint(fields=["incident", "kind"], name="unique_clock_per_target")]
        indexes = [
            models.Index(fields=["state", "due_at"], name="sla_clock_due"),
            models.Index(fields=["client", "opened_at"], name="sla_clock_report"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} {self.state}"

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES


class SlaBreach(ClientOwned):
    """Append-only: a breach is recorded once and never erased; only its reason is filled in later."""

    EDITABLE = frozenset({"reason", "reason_by", "reason_at", "updated_at"})

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="sla_breaches")
    kind = models.CharField(max_length=12, choices=ClockKind.choices)
    cycle = models.PositiveIntegerField(default=0)
    priority = models.CharField(max_length=10)
    target_minutes = models.PositiveIntegerField()
    opened_at = models.DateTimeField(help_text="The incident's opening (reports select by it)")
    due_at = models.DateTimeField()
    breached_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    reason_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-breached_at", "-id"]
        verbose_name_plural = "SLA breaches"
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind", "cycle"], name="unique_breach_per_cycle")
        ]
        indexes = [models.Index(fields=["client", "opened_at"], name="sla_breach_report")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} breached {self.breached_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if self.pk is not None and (fields is None or not set(fields) <= self.EDITABLE):
            raise RuntimeError("SLA breaches are append-only; only the reason can be filled in")
        super().save(*args, **kwargs)


class SlaNotice(models.Model):
    """One notification sent for a warning or breach, unique per dedup key and person, so a
    handler that runs again never sends twice."""

    dedup_key = models.CharField(max_length=200)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dedup_key", "user"], name="unique_sla_notice")]

    def __str__(self) -> str:
        return self.dedup_key


class ReportState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    NOBODY = "nobody", "No contact receives reports"


class ReportDelivery(ClientOwned):
    """The monthly report e-mail of one client, an outbox row: unique per client and month, so
    the engine job queues each month once; delivery renders and sends it outside any
    transaction, pending → sending (leased) → sent | failed, with retries."""

    month = models.CharField(max_length=7, help_text="YYYY-MM")
    recipients = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.PENDING)
    due_at = models.DateTimeField(default=clock.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "month"], name="unique_report_delivery")]
        indexes = [models.Index(fields=["state", "due_at"], name="report_delivery_due")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month} ({self.state})"
