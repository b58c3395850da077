"""The MSP's brand, as set in the console or the API (one row).

The logo lives in the database, not in a file: every web host serves the same bytes without a
shared disk, and a backup of the database is a backup of the brand.
"""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock

SINGLETON_PK = 1


class Branding(models.Model):
    """What the client portal, the sign-in page, client e-mails and PDF reports show. An empty
    `name` means none is set (the product's own name is shown); an empty `logo_hash`, no logo."""

    name = models.CharField(max_length=100, blank=True)
    accent = models.CharField(max_length=7, blank=True, help_text="#RRGGBB, or empty for the default")
    support_email = models.CharField(max_length=254, blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_url = models.CharField(max_length=300, blank=True)
    # Checked by `images.image_inspect` before it is stored: PNG or JPEG, ≤ 512 KB, ≤ 2048 px a side.
    logo = models.BinaryField(null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=20, blank=True)  # image/png or image/jpeg
    logo_hash = models.CharField(max_length=64, blank=True)  # SHA-256 of the bytes, hex
    logo_width = models.PositiveIntegerField(default=0)
    logo_height = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = "branding"
        verbose_name_plural = "branding"
        constraints = [models.CheckConstraint(condition=models.Q(pk=SINGLETON_PK), name="branding_one_row")]

    def __str__(self) -> str:
        return "Branding"
