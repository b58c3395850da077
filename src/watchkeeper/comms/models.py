"""Communication policies, message templates, contact roles, client updates and their deliveries."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.models import TimestampedModel


class ContactRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    TECHNICAL = "technical", "Technical"
    MANAGEMENT = "management", "Management"
    BILLING = "billing", "Billing"
    SECURITY = "security", "Security"


# "portal" in a rule's roles: every active portal user of the client is told as well.
PORTAL_USERS = "portal"


class CommsEvent(models.TextChoices):
    OPENED = "opened", "Opened"
    UPDATE = "update", "Each client-visible update"
    WAITING = "waiting", "Waiting on client"
    RESOLVED = "resolved", "Resolved"
    REVIEW = "review", "Review published"


class MessageKind(models.TextChoices):
    INITIAL = "initial", "Initial notice"
    UPDATE = "update", "Update"
    WAITING = "waiting", "Waiting on client"
    RESOLVED = "resolved", "Resolved"
    SUMMARY = "summary", "Post-incident summary"


# Which message each event sends.
EVENT_MESSAGE = {
    CommsEvent.OPENED: MessageKind.INITIAL,
    CommsEvent.UPDATE: MessageKind.UPDATE,
    CommsEvent.WAITING: MessageKind.WAITING,
    CommsEvent.RESOLVED: MessageKind.RESOLVED,
    CommsEvent.REVIEW: MessageKind.SUMMARY,
}


class ContactRoles(models.Model):
    """The roles of one client contact (primary, technical …), which policies address.

    Kept beside `tenancy.Contact` rather than on it: the roles only mean something to the
    policies of this app (ADR 0039)."""

    contact = models.OneToOneField("tenancy.Contact", on_delete=models.CASCADE, related_name="comms_roles")
    roles = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "contact roles"

    def __str__(self) -> str:
        return f"{self.contact_id}: {', '.join(self.roles)}"


class CommunicationPolicy(TimestampedModel):
    """Per priority: which contacts are told, on which events, how often. `client` empty: the
    MSP's default, used by every client without a policy of its own."""

    client = models.OneToOneField(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="comms_policy"
    )
    # {"P1": {"roles": ["technical", "portal"], "events": ["opened", "update", …], "cadence_minutes": 30}}
    # A cadence of null: the SLA's client-update target for that priority, if any.
    rules = models.JSONField(default=dict, blank=True)
    remind_before_minutes = models.PositiveIntegerField(default=5)
    from_name = models.CharField(max_length=100, blank=True, help_text="Empty: the MSP's brand name")
    reply_to = models.EmailField(
        blank=True, help_text="Used when inbound mail is off; otherwise replies come back to Watchkeeper"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "communication policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(client__isnull=True), name="one_default_comms_policy"
            )
        ]

    def __str__(self) -> str:
        return f"Communication policy of {self.client or 'the MSP'}"


class MessageTemplate(TimestampedModel):
    """Subject and body (sandboxed Jinja2) of one kind of message; `client` empty: the MSP's."""

    client = models.ForeignKey(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="message_templates"
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        ordering = ["client_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="unique_template_per_client"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(client__isnull=True), name="unique_msp_template"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.client or 'the MSP'}"


class IncidentComms(models.Model):
    """The communication state of one incident: its thread, what has been told, what is due."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="comms")
    thread_id = models.CharField(max_length=200, help_text="The Message-ID every message refers to")
    # The last timeline entry the engine looked at: entries after it are events to act on.
    seen_entry_id = models.BigIntegerField(default=0)
    last_update_at = models.DateTimeField(null=True, blank=True)
    # When the cadence last started afresh without an update: a reopening, the end of a wait.
    cadence_from = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    next_update_by = models.DateTimeField(null=True, blank=True, help_text="Promised by the technician")
    eta = models.DateTimeField(null=True, blank=True, help_text="When it should be fixed")
    overdue_since = models.DateTimeField(null=True, blank=True)
    reminded_for = models.DateTimeField(null=True, blank=True, help_text="The due time last reminded of")

    class Meta:
        verbose_name_plural = "incident communication"
        indexes = [models.Index(fields=["overdue_since"], name="comms_overdue")]

    def __str__(self) -> str:
        return f"comms of {self.incident_id}"


class ClientUpdate(models.Model):
    """One message to the client's people about an incident (any kind), sent to each recipient."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="client_updates"
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    entry = models.ForeignKey(
        "incidents.TimelineEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The event that caused it (e.g. "opened:123"), unique per incident: a reconcile that runs
    # twice queues nothing twice.
    cause = models.CharField(max_length=100)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "cause"], name="unique_update_cause")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.incident_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class UpdateDelivery(models.Model):
    """The outbox: one e-mail per (update, recipient), delivered by the engine with retries."""

    update = models.ForeignKey(ClientUpdate, on_delete=models.CASCADE, related_name="deliveries")
    client = models.ForeignKey("tenancy.Client", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=150, blank=True)
    address = models.EmailField()
    message_id = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    due_at = models.DateTimeField(default=clock.now)
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="The server's answer")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["update", "address"], name="unique_delivery_recipient")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="comms_delivery_due")]

    def __str__(self) -> str:
        return f"{self.address} ({self.state})"


class HeldReply(models.Model):
    """A reply that was not attached: its sender is not a contact or portal user of the client."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="held_replies")
    sender = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    reason = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "held replies"

    def __str__(self) -> str:
        return f"from {self.sender} on {self.incident_id}"
