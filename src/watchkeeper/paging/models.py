"""Escalation policies, who is paged how (contact methods, notification rules) and the page
outbox: every message is a row before it is sent (DESIGN.md section 4.4)."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.crypto import SecretUnreadable, secret_decrypt, secret_encrypt
from watchkeeper.core.models import TimestampedModel


class EscalationPolicy(TimestampedModel):
    """Ordered levels of targets. `client` empty: an MSP-wide policy (the NOC default when
    `is_default`); `client` set: that client's policy (its default when `is_default`)."""

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    client = models.ForeignKey(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="escalation_policies"
    )
    is_default = models.BooleanField(default=False)
    repeat = models.PositiveSmallIntegerField(
        default=0, help_text="How many more times to run all levels when nobody acknowledges"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(is_default=True), name="one_default_policy_per_client"
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True, client__isnull=True),
                name="one_msp_default_policy",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()
    delay_minutes = models.PositiveIntegerField(
        default=15, help_text="Minutes to wait for an acknowledgement before the next level"
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="unique_level_position"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} level {self.position + 1}"


class TargetKind(models.TextChoices):
    USER = "user", "User"
    SCHEDULE = "schedule", "Schedule"
    TEAM = "team", "Team (everyone)"
    TEAM_ROUND_ROBIN = "team_round_robin", "Team (round-robin)"


class EscalationTarget(models.Model):
    level = models.ForeignKey(EscalationLevel, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    schedule = models.ForeignKey(
        "oncall.Schedule", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Round-robin: index of the member paged next (taken under the target's row lock).
    next_index = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["level", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user or self.schedule or self.team}"


class ServiceEscalation(models.Model):
    """The policy that pages for one service (overrides the client's and the MSP's default)."""

    service = models.OneToOneField("tenancy.Service", on_delete=models.CASCADE, related_name="escalation")
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="service_links")

    def __str__(self) -> str:
        return f"{self.service} → {self.policy}"


class EscalationState(models.TextChoices):
    ACTIVE = "active", "Escalating"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    EXHAUSTED = "exhausted", "All levels paged"
    STOPPED = "stopped", "Stopped"
    NO_POLICY = "no_policy", "No escalation policy"


class IncidentEscalation(models.Model):
    """Where one incident is in its policy. Step timers carry (run, loop, level) in their key and
    fire only when they match this row (fencing): a stale step does nothing.

    `run` counts starts (opening, reopening, manual escalation); `loop` counts repeats of the
    policy within a run. (run, loop) is the escalation cycle in the page dedup key."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="escalation")
    policy = models.ForeignKey(EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=15, choices=EscalationState.choices, default=EscalationState.ACTIVE)
    run = models.PositiveIntegerField(default=0)
    loop = models.PositiveIntegerField(default=0)
    level = models.PositiveSmallIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    # The incident status this row last reconciled with, to see transitions.
    seen_status = models.CharField(max_length=15, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.state} run {self.run} loop {self.loop} level {self.level}"


class ContactKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice call"
    PUSH = "push", "Push"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    TELEGRAM = "telegram", "Telegram"
    WEBHOOK = "webhook", "Webhook"
    OTHER = "other", "Other (Apprise URL)"


# Kinds that cost money or wake people: throttled by default.
THROTTLED_KINDS = frozenset({ContactKind.SMS, ContactKind.VOICE})


class ContactMethod(TimestampedModel):
    """How to reach one person. The address (an e-mail, or an Apprise URL that may hold an API
    key) is stored encrypted."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    label = models.CharField(max_length=100)
    address_encrypted = models.TextField()
    address_hint = models.CharField(max_length=60, help_text="A recognisable, non-secret part of the address")
    throttle_per_15_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="At most this many messages per 15 minutes, the rest bundled (0: no limit)"
    )
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["user", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"

    @property
    def address(self) -> str:
        try:
            return secret_decrypt(self.address_encrypted)
        except SecretUnreadable:
            return ""

    @address.setter
    def address(self, value: str) -> None:
        self.address_encrypted = secret_encrypt(value)


class Urgency(models.TextChoices):
    HIGH = "high", "High urgency"
    LOW = "low", "Low urgency"


class NotificationRule(models.Model):
    """Page `contact_method` this many minutes after a page of this urgency starts."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notification_rules")
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    contact_method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="rules")
    delay_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["user", "urgency", "delay_minutes", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "urgency", "contact_method", "delay_minutes"], name="unique_notification_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.contact_method} after {self.delay_minutes} min ({self.urgency})"


class MessageState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BUNDLED = "bundled", "Sent in a bundle"
    CANCELLED = "cancelled", "Cancelled"


class MessagePurpose(models.TextChoices):
    PAGE = "page", "Page"
    NOTIFICATION = "notification", "Notification"
    TEST = "test", "Test message"


class OutboxMessage(models.Model):
    """One message to one contact method. `dedup_key` is unique: for a page it is (incident,
    escalation cycle, level, rule, contact method), so a repeated or concurrent enqueue adds
    nothing. Delivery: pending → sending (leased) → sent | failed; a lease that expires while
    sending (crashed engine) is returned to pending and the message is sent again."""

    dedup_key = models.CharField(max_length=255, unique=True)
    # What caused it, shared by every message of one page: used for fallback and bundling.
    cause = models.CharField(max_length=200, db_index=True)
    purpose = models.CharField(max_length=15, choices=MessagePurpose.choices, default=MessagePurpose.PAGE)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="messages")
    contact_method = models.ForeignKey(
        ContactMethod, null=True, on_delete=models.SET_NULL, related_name="messages"
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    subject = models.CharField(max_length=255)
    text = models.TextField()
    state = models.CharField(max_length=10, choices=MessageState.choices, default=MessageState.PENDING)
    due_at = models.DateTimeField(default=clock.now)
    created_at = models.DateTimeField(default=clock.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_response = models.TextField(blank=True)
    bundled_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # Held back by its contact method's throttle: goes out in the next bundle.
    throttled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="outbox_due"),
            models.Index(fields=["contact_method", "sent_at"], name="outbox_method_sent"),
            models.Index(fields=["user", "-created_at"], name="outbox_user_log"),
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key} ({self.state})"


class ResponseAction(models.TextChoices):
    ACKNOWLEDGE = "ack", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    REPLY = "reply", "Reply by e-mail"


class ResponseToken(models.Model):
    """A one-click response link or reply address: single-purpose, expiring, usable once.
    Only the SHA-256 digest of the secret is stored."""

    digest = models.CharField(max_length=64, unique=True)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=ResponseAction.choices)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} {self.incident_id} for {self.user_id}"
