"""On-call schedules. A schedule belongs to the MSP (its technicians are on call); it may be
dedicated to one client (`client` set) or shared across clients (`client` empty)."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.models import TimestampedModel


class Schedule(TimestampedModel):
    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/London")
    client = models.ForeignKey(
        "tenancy.Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules",
        help_text="Empty: the MSP-wide schedule of a team (e.g. the NOC)",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="schedules"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ShiftUnit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    WEEKS = "weeks", "weeks"


class Restriction(models.TextChoices):
    NONE = "none", "always"
    DAILY = "daily", "hours of the day"
    WEEKLY = "weekly", "hours of the week"


class Layer(TimestampedModel):
    """One rotation of a schedule. Layers with a higher `priority` win where they have someone
    on call; `restrictions` is a list of windows {"start": "HH:MM", "end": "HH:MM",
    "start_day": 1-7, "end_day": 1-7} (days only for weekly restrictions, 1 = Monday)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(default=0)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Empty: the schedule's time zone")
    starts_on = models.DateField(help_text="The local date of the first hand-off")
    handoff_time = models.TimeField(help_text="Local wall-clock time of every hand-off")
    shift_length = models.PositiveSmallIntegerField(default=1)
    shift_unit = models.CharField(max_length=10, choices=ShiftUnit.choices, default=ShiftUnit.WEEKS)
    restriction = models.CharField(max_length=10, choices=Restriction.choices, default=Restriction.NONE)
    restrictions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["schedule", "-priority", "id"]

    def __str__(self) -> str:
        return f"{self.schedule} · {self.name}"

    @property
    def zone_name(self) -> str:
        return self.time_zone or self.schedule.time_zone


class LayerMember(models.Model):
    """A participant of a layer's rotation, in order (a person may appear more than once)."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="oncall_layers")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [models.UniqueConstraint(fields=["layer", "position"], name="oncall_member_position")]

    def __str__(self) -> str:
        return f"{self.layer} #{self.position}: {self.user}"


class Override(TimestampedModel):
    """`user` covers `replaces` (or whoever is on call, when empty) from `starts_at` to `ends_at`."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="oncall_overrides")
    replaces = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="oncall_covered_by"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["schedule", "starts_at", "id"]
        indexes = [models.Index(fields=["schedule", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="oncall_override_span"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.replaces or 'everyone'} on {self.schedule}"


class CalendarToken(models.Model):
    """The secret of one iCal feed: a schedule's, or a user's own shifts across schedules.
    Only the SHA-256 digest is stored; rotating replaces it (the old URL stops working)."""

    schedule = models.OneToOneField(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_token"
    )
    user = models.OneToOneField(
        "accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_token"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schedule__isnull=True, user__isnull=False)
                | models.Q(schedule__isnull=False, user__isnull=True),
                name="oncall_token_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"calendar {self.prefix}… of {self.schedule or self.user}"


class NoticeState(models.Model):
    """Whom we last told they are on call for a schedule (the hand-off handler reconciles
    this with the final schedule: a new row is an "on call" notice, a removed one "off call")."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="notice_states")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "user"], name="oncall_notice_state")]

    def __str__(self) -> str:
        return f"{self.user} on call for {self.schedule} since {self.since:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """Every on-call notice sent, unique by its dedup key so each is sent once."""

    dedup_key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="oncall_notices")
    schedule = models.ForeignKey(Schedule, null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.dedup_key
