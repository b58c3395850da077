"""Chat channels (a client's, or the MSP's NOC channel), the posts sent to them (an outbox),
how far each incident's timeline has been posted, and the slash-command side: the endpoints
with their signing secrets and the people mapped from a chat workspace to Watchkeeper users."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.crypto import SecretUnreadable, secret_decrypt, secret_encrypt
from watchkeeper.core.models import TimestampedModel


class ChatEvent(models.TextChoices):
    OPENED = "opened", "Opened"
    PRIORITY = "priority", "Priority changed"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    UPDATE = "update", "Client update sent"
    RESOLVED = "resolved", "Resolved"


ALL_EVENTS = [event.value for event in ChatEvent]


class ChannelKind(models.TextChoices):
    CHAT = "chat", "Chat (Apprise URL)"
    EMAIL = "email", "E-mail list"


class ChatChannel(TimestampedModel):
    """Where incident events are posted. `client` None: the MSP's own (NOC) channel, which hears
    about every client. The address (an Apprise URL holding a webhook token, or e-mail addresses)
    is stored encrypted (ADR 0025)."""

    client = models.ForeignKey(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_channels"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices, default=ChannelKind.CHAT)
    address_encrypted = models.TextField()
    address_hint = models.CharField(max_length=80, help_text="A recognisable, non-secret part of the address")
    events = models.JSONField(default=list, help_text="The events posted (ChatEvent keys)")
    priorities = models.JSONField(default=list, blank=True, help_text="Only these priorities; empty: all")
    digest = models.BooleanField(default=False, help_text="Also receives the hourly leadership digest")
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["client", "is_enabled"], name="chat_channel_client")]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        try:
            return secret_decrypt(self.address_encrypted)
        except SecretUnreadable:
            return ""

    @address.setter
    def address(self, value: str) -> None:
        self.address_encrypted = secret_encrypt(value)


class PostState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ChatPost(models.Model):
    """One message to one channel: an outbox row (engine/outbox.py), unique per (channel, cause),
    written in the transaction that saw its cause, delivered and retried by the engine."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="posts")
    # The tenant the post is about (its fair share of the delivery pool); None: the NOC digest.
    client = models.ForeignKey(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_posts"
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_posts"
    )
    cause = models.CharField(max_length=100, help_text="entry:<timeline id> or digest:<hour>")
    event = models.CharField(max_length=20)
    title = models.CharField(max_length=255)
    text = models.TextField()
    state = models.CharField(max_length=10, choices=PostState.choices, default=PostState.PENDING)
    due_at = models.DateTimeField(default=clock.now)
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="The receiver's answer to the last attempt")
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "cause"], name="unique_chat_post_cause")]
        indexes = [
            models.Index(fields=["state", "due_at"], name="chat_post_due"),
            models.Index(fields=["channel", "-created_at"], name="chat_post_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.title[:60]} ({self.state})"


class IncidentCursor(models.Model):
    """The last timeline entry of the incident that chat has looked at: entries are written under
    the incident's row lock, so their ids grow per incident and a cursor misses none."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_entry_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.incident_id} @ {self.last_entry_id}"


class ChatProvider(models.TextChoices):
    SLACK = "slack", "Slack"
    MATTERMOST = "mattermost", "Mattermost"


class SlashEndpoint(TimestampedModel):
    """An inbound slash-command endpoint (/chat/commands/<key>): Slack requests are verified with
    the app's signing secret, Mattermost's with the command's token. The secret is encrypted."""

    provider = models.CharField(max_length=12, choices=ChatProvider.choices)
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=32, unique=True, help_text="The endpoint's address; not a secret")
    secret_encrypted = models.TextField()
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"

    @property
    def secret(self) -> str:
        try:
            return secret_decrypt(self.secret_encrypted)
        except SecretUnreadable:
            return ""

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = secret_encrypt(value)


class ChatUserLink(TimestampedModel):
    """A chat account (provider, workspace, user id) acting as a Watchkeeper user in slash commands."""

    provider = models.CharField(max_length=12, choices=ChatProvider.choices)
    team_id = models.CharField(max_length=64, blank=True, help_text="Workspace/team id; empty: any")
    external_id = models.CharField(max_length=64, help_text="The chat user id, e.g. U024BE7LH")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="chat_links")

    class Meta:
        ordering = ["provider", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "team_id", "external_id"], name="unique_chat_user_link"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.external_id} → {self.user_id}"


class SlashRequest(models.Model):
    """Signatures seen in the last minutes: the same signed request twice is a replay."""

    digest = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return self.digest[:12]
