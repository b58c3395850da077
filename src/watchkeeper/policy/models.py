"""The incident policy. One `Policy` row (pk=1) owns its sections and levels.

The default content is `default_policy.yaml`, loaded by migration 0002; the whole
policy round-trips through YAML (`watchkeeper policy export|import`).
"""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock


def default_review_rules() -> dict[str, object]:
    """Which resolved incidents need a post-incident review, and when it is due."""
    return {"priorities": ["P1", "P2"], "sla_breach": True, "reopened": True, "due_business_days": 5}


class Policy(models.Model):
    title = models.CharField(max_length=200)
    owner = models.CharField(max_length=200, help_text="Who owns and maintains the policy")
    version = models.CharField(max_length=40, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(default=365)
    # A client's reply in the portal ends "waiting on client": the incident is acknowledged
    # again and its SLA clocks run (on by default; off, the reply only marks the incident).
    resume_on_client_reply = models.BooleanField(default=True)
    # The `reviews:` block of the YAML: see `documents.ReviewRulesDoc`.
    review_rules = models.JSONField(default=default_review_rules)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title


class Ordered(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Section(Ordered):
    """A chapter of the written policy (purpose, scope, roles …), Markdown body."""

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="unique_policy_section")]


class Category(Ordered):
    class Meta(Ordered.Meta):
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="unique_policy_category")]


class ImpactLevel(Ordered):
    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="unique_policy_impact")]


class UrgencyLevel(Ordered):
    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="unique_policy_urgency")]


class Priority(Ordered):
    """P1 (highest) … P5. `position` 1 is the most urgent."""

    class Meta(Ordered.Meta):
        verbose_name_plural = "priorities"
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="unique_policy_priority")]


class MatrixCell(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")
    impact = models.ForeignKey(ImpactLevel, on_delete=models.CASCADE, related_name="+")
    urgency = models.ForeignKey(UrgencyLevel, on_delete=models.CASCADE, related_name="+")
    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="unique_matrix_cell")]

    def __str__(self) -> str:
        return f"{self.impact} × {self.urgency} → {self.priority}"


class Severity(Ordered):
    """An alert's own level (critical, error, warning, info) and its default impact/urgency."""

    default_impact = models.ForeignKey(ImpactLevel, on_delete=models.PROTECT, related_name="+")
    default_urgency = models.ForeignKey(UrgencyLevel, on_delete=models.PROTECT, related_name="+")

    class Meta(Ordered.Meta):
        verbose_name_plural = "severities"
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="unique_policy_severity")]
