"""Abstract base models shared by every app."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        abstract = True

    def touch_fields(self, *fields: str) -> list[str]:
        """Set `updated_at` and return the update_fields list for save()."""
        self.updated_at = clock.now()
        return [*fields, "updated_at"]
