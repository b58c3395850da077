"""Knowledge-base articles with their versions, and runbooks with their runs on incidents.

Articles and runbooks are MSP rows that are either shared by every client (`client` empty) or
dedicated to one client, like escalation policies (ADR 0027): `access.scope_shared` narrows them.
"""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.models import TimestampedModel
from watchkeeper.tenancy.models import Client, ClientOwned

TITLE_MAX = 200
BODY_MAX = 200_000
TAGS_MAX = 500


class Article(TimestampedModel):
    """A Markdown page of the knowledge base. `tags` holds the normalised tags as
    " tag-one tag-two " (spaces around each), so `tags__contains=" tag "` finds one tag on every
    database; the search indexes (SQLite FTS5, PostgreSQL tsvector, migration 0002) read
    `title`, `tags` and `body` and are kept in step by the database itself."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="articles",
        help_text="Empty: an MSP-wide article",
    )  # fmt: skip
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField(blank=True)
    tags = models.CharField(max_length=TAGS_MAX, blank=True)
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_visible = models.BooleanField(
        default=False, help_text="The client's own people may read it in the portal"
    )
    services = models.ManyToManyField("tenancy.Service", blank=True, related_name="articles")
    categories = models.JSONField(default=list, blank=True, help_text="Policy category keys")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["client", "title"], name="article_client_title")]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()


class ArticleVersion(models.Model):
    """What an article said at one version: written with every change, never edited."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField(blank=True)
    tags = models.CharField(max_length=TAGS_MAX, blank=True)
    client_visible = models.BooleanField(default=False)
    edited_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_by_label = models.CharField(max_length=254)
    edited_at = models.DateTimeField(default=clock.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="unique_article_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class StepKind(models.TextChoices):
    TEXT = "text", "Instruction"
    CHECK = "check", "Checklist item"
    ACTION = "action", "Automation action"


class Runbook(TimestampedModel):
    """Ordered steps for one kind of problem, suggested on incidents it matches.

    `steps` is a list of {"kind": StepKind, "text": str}; `alert_match` a dict of alert field
    paths to values ({"labels.alertname": "DiskFull"}) that all must hold for one of the
    incident's alerts. A runbook matches an incident when any of its links match (services,
    categories, alert fields); a runbook without links is suggested nowhere."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="runbooks",
        help_text="Empty: an MSP-wide runbook",
    )  # fmt: skip
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_due = models.DateField(null=True, blank=True)
    steps = models.JSONField(default=list)
    services = models.ManyToManyField("tenancy.Service", blank=True, related_name="runbooks")
    categories = models.JSONField(default=list, blank=True)
    alert_match = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class RunbookRun(ClientOwned):
    """A runbook followed on one incident. The runbook's title and steps at start time are
    copied here (`version`, `steps`): later edits of the runbook do not change what was done.
    `ticks` is a list of {"step": index, "by": label, "at": ISO time}, one per ticked step."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="runbook_runs")
    runbook = models.ForeignKey(Runbook, null=True, on_delete=models.SET_NULL, related_name="runs")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    steps = models.JSONField(default=list)
    ticks = models.JSONField(default=list)
    started_by_label = models.CharField(max_length=254)
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "runbook"], name="unique_runbook_run_per_incident")
        ]

    def __str__(self) -> str:
        return f"{self.title} on incident {self.incident_id}"

    @property
    def ticked(self) -> set[int]:
        return {int(tick["step"]) for tick in self.ticks}

    @property
    def progress(self) -> tuple[int, int]:
        return len(self.ticked), len(self.steps)
