"""On-call schedules. A schedule belongs to the MSP (its technicians are on call); it may be
dedicated to one client (`client` set) or shared across clients (`client` empty)."""

from __future__ import annotations

from django.db import models

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
