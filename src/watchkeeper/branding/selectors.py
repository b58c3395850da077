"""The brand of the moment, read at each use (one primary-key query, no cache to invalidate
across processes and hosts), and the logo's bytes for the URL that serves it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError

from watchkeeper.branding.images import EXTENSIONS
from watchkeeper.branding.models import SINGLETON_PK, Branding

PRODUCT_NAME = "Watchkeeper"
# The logo's URL carries this much of its SHA-256: a new logo gets a new URL, so the old one
# can be cached for a year (a prefix is enough: the request is checked against the stored hash).
URL_HASH_CHARS = 16


@dataclass(frozen=True)
class Brand:
    """What clients see. `name` is the MSP's name, or the product's while none is set."""

    name: str
    is_set: bool  # whether the MSP has set its name
    accent: str
    support_email: str
    support_phone: str
    support_url: str
    logo_type: str
    logo_hash: str
    logo_width: int
    logo_height: int

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_hash)

    @property
    def logo_file(self) -> str:
        """The logo's file name in its URL: `<hash prefix>.<png|jpg>` (empty: no logo)."""
        if not self.logo_hash:
            return ""
        return f"{self.logo_hash[:URL_HASH_CHARS]}.{EXTENSIONS.get(self.logo_type, 'img')}"

    @property
    def accent_text(self) -> str:
        """Black or white, whichever reads better on the accent colour (WCAG relative luminance)."""
        if len(self.accent) != 7:
            return "#ffffff"
        channels = [int(self.accent[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#111111" if luminance > 0.179 else "#ffffff"

    @property
    def has_support(self) -> bool:
        return bool(self.support_email or self.support_phone or self.support_url)


def branding_get() -> Branding:
    """The stored row without the logo's bytes, or an unsaved blank one."""
    row = Branding.objects.defer("logo").filter(pk=SINGLETON_PK).first()
    return row or Branding(pk=SINGLETON_PK)


def brand_of(row: Branding) -> Brand:
    return Brand(
        name=row.name or PRODUCT_NAME, is_set=bool(row.name), accent=row.accent,
        support_email=row.support_email, support_phone=row.support_phone, support_url=row.support_url,
        logo_type=row.logo_type, logo_hash=row.logo_hash, logo_width=row.logo_width,
        logo_height=row.logo_height,
    )  # fmt: skip


def brand_current() -> Brand:
    return brand_of(branding_get())


def brand_for_page() -> Brand:
    """The brand for a page's layout, or the product's own when the database cannot say: an
    error page (a 500 because the database is down, a 404 answered before any query) must
    still render."""
    try:
        return brand_current()
    except DatabaseError:
        logging.getLogger("watchkeeper.branding").warning("the brand could not be read", exc_info=True)
        return brand_of(Branding(pk=SINGLETON_PK))


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str
    sha256: str


def brand_logo(*, file_name: str | None = None) -> Logo | None:
    """The logo's bytes; with `file_name` (from its URL), only while it names the current logo.
    None when there is no logo, or the URL names one that has since been replaced."""
    row = Branding.objects.filter(pk=SINGLETON_PK).exclude(logo_hash="").first()
    if row is None or row.logo is None:
        return None
    if file_name is not None and file_name != brand_of(row).logo_file:
        return None
    return Logo(data=bytes(row.logo), content_type=row.logo_type, sha256=row.logo_hash)
