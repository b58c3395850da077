"""Post-incident reviews (one per incident), the reviewer's marks on timeline entries, action
items, and the client summary's deliveries."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.tenancy.models import ClientOwned


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


class SummaryState(models.TextChoices):
    NONE = "none", "Not written"
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"


class FactorKind(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    HUMAN = "human", "Human"
    PROCESS = "process", "Process"
    VENDOR = "vendor", "Vendor"


# The template's free-text fields, in the order the review page and the exports show them.
# `client_safe` fields may feed the client summary; the others never leave the MSP.
TEMPLATE_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("summary", "Summary", True),
    ("impact", "Impact in the client's terms", True),
    ("root_cause", "Root cause", True),
    ("trigger", "Trigger", False),
    ("went_well", "What went well", False),
    ("went_badly", "What went badly", False),
    ("lucky", "Where we were lucky", False),
    ("detection", "Detection: was the alert triggered too late?", False),
    ("response", "Response: did escalation happen smoothly? Were clients updated consistently?", False),
)
TEXT_MAX = 20_000


class Review(ClientOwned):
    """The blameless review of one incident, opened when the policy requires it (or by hand).
    Its facts are computed from the incident on every read (`facts.py`), never stored."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="review")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    reasons = models.JSONField(
        default=list, help_text="Why the policy requires it, e.g. ['P1', 'SLA breach']"
    )
    due_at = models.DateTimeField(help_text="N business days after resolution, in the client's calendar")
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_reviews"
    )
    participants = models.ManyToManyField("accounts.User", blank=True, related_name="reviews")
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    trigger = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    lucky = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    response = models.TextField(blank=True)
    # [{"kind": "technical" | "human" | "process" | "vendor", "text": "…"}]
    factors = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The client summary: written from the client-safe fields, approved, then published.
    client_summary = models.TextField(blank=True)
    summary_state = models.CharField(max_length=10, choices=SummaryState.choices, default=SummaryState.NONE)
    summary_approved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="review_status_due"),
            models.Index(fields=["client", "summary_state"], name="review_client_summary"),
        ]

    def __str__(self) -> str:
        return f"Review of incident {self.incident_id}"

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN


class EntryMark(models.Model):
    """The reviewer's star and annotation on one timeline entry (entries stay append-only)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="marks")
    entry = models.ForeignKey("incidents.TimelineEntry", on_delete=models.CASCADE, related_name="+")
    starred = models.BooleanField(default=False)
    annotation = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "entry"], name="unique_review_entry_mark")]

    def __str__(self) -> str:
        return f"{self.review_id}/{self.entry_id}"


class ActionKind(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    MITIGATE = "mitigate", "Mitigate"
    DETECT = "detect", "Detect"
    PROCESS = "process", "Process"
    DOCUMENTATION = "documentation", "Documentation"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class ActionItem(ClientOwned):
    """A follow-up of a review with an owner and a due date; reminded and escalated by timers."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=15, choices=ActionKind.choices)
    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    # What it changes: an event rule of the client, or a link to a runbook, KB article or
    # monitor (shown, never fetched).
    event_rule = models.ForeignKey(
        "alerts.EventRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.CharField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="action_status_due"),
            models.Index(fields=["client", "status", "due_on"], name="action_client_status"),
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES


class SummaryDelivery(models.Model):
    """One e-mail of a published client summary to one contact address: unique, so a timer that
    runs again sends nobody twice once its transaction committed."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField()
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "email"], name="unique_summary_delivery")]

    def __str__(self) -> str:
        return f"{self.review_id} → {self.email}"


class ReviewNotice(models.Model):
    """A reminder or escalation sent to one person, unique per (dedup key, person)."""

    dedup_key = models.CharField(max_length=200)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dedup_key", "user"], name="unique_review_notice")]

    def __str__(self) -> str:
        return self.dedup_key
