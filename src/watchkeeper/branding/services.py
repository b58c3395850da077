"""Writing the brand: its texts, and the logo (set from checked bytes, or removed).

Only MSP owners and admins (`branding.manage`, admin scope for tokens; or the installation
itself, named: "demo", "cli"), and never through a token restricted to one client: the brand is
shown to every client (ADR 0027's rule for shared rows). Every change is audited; the audit
keeps the logo's hash and size, not its bytes.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from watchkeeper.audit.services import audit_record
from watchkeeper.branding.images import image_inspect
from watchkeeper.branding.models import SINGLETON_PK, Branding
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy import access

ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")


def _one_line(value: str, *, field: str, label: str, limit: int) -> str:
    value = value.strip()
    if _CONTROL.search(value):
        raise InvalidInput(f"The {label} must be on one line.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"The {label} is at most {limit} characters.", field=field)
    return value


def _accent_clean(value: str) -> str:
    value = value.strip()
    if value and not ACCENT.match(value):
        raise InvalidInput(
            f"'{value[:20]}' is not a colour: write it as # and six hex digits, such as #0b5cad.",
            field="accent",
        )
    return value.lower()


def _email_clean(value: str) -> str:
    value = _one_line(value, field="support_email", label="support e-mail", limit=254)
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInput(f"'{value}' is not an e-mail address.", field="support_email") from exc
    return value


def _phone_clean(value: str) -> str:
    value = _one_line(value, field="support_phone", label="support phone", limit=40)
    if value and not _PHONE.match(value):
        raise InvalidInput(
            "A phone number has digits, spaces and + ( ) - . / only, such as +44 20 7946 0100.",
            field="support_phone",
        )
    return value


def _url_clean(value: str) -> str:
    value = _one_line(value, field="support_url", label="support web address", limit=300)
    if not value:
        return value
    parts = urlsplit(value)
    # Only web addresses: a javascript: or data: link shown to clients would run in their browser.
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(
            "The support web address starts with https:// (or http://), such as https://help.example.net.",
            field="support_url",
        )
    return value


def _public(row: Branding) -> dict[str, Any]:
    """What the audit log keeps: the texts, and the logo by hash, type and size."""
    return {
        "name": row.name, "accent": row.accent, "support_email": row.support_email,
        "support_phone": row.support_phone, "support_url": row.support_url,
        "logo": f"{row.logo_type} {row.logo_width}×{row.logo_height} sha256:{row.logo_hash}"
        if row.logo_hash else "none",
    }  # fmt: skip


def _audit(actor: access.By, action: str, row: Branding, before: dict[str, Any], via: str) -> None:
    audit_record(actor=actor, action=action, obj=row, before=before, after=_public(row), via=via)


def _locked_row() -> Branding:
    row, _ = Branding.objects.select_for_update().get_or_create(pk=SINGLETON_PK)
    return row


def _require_manage(actor: access.By) -> None:
    # Shared by every client: a client-restricted token may not change it (403). A named
    # non-person ("demo", "cli") acts for the installation itself.
    if not isinstance(actor, str):
        access.require_write(actor, "branding.manage", client=None)


def branding_save(
    *,
    actor: access.By,
    name: str,
    accent: str = "",
    support_email: str = "",
    support_phone: str = "",
    support_url: str = "",
    via: str = "console",
) -> Branding:
    """Replace the brand's texts (the logo is kept). Nothing is saved on any error."""
    _require_manage(actor)
    values = {
        "name": _one_line(name, field="name", label="name", limit=100),
        "accent": _accent_clean(accent),
        "support_email": _email_clean(support_email),
        "support_phone": _phone_clean(support_phone),
        "support_url": _url_clean(support_url),
    }
    with transaction.atomic():
        row = _locked_row()
        before = _public(row)
        for field, value in values.items():
            setattr(row, field, value)
        row.updated_at, row.updated_by = clock.now(), access.user_of(actor)
        row.save(update_fields=[*values, "updated_at", "updated_by"])
        _audit(actor, "branding.update", row, before, via)
    return row


def branding_logo_set(*, actor: access.By, data: bytes, via: str = "console") -> Branding:
    """Store `data` as the logo once `image_inspect` accepts it (413 over 512 KB, 400 for
    anything but a sound PNG or JPEG of at most 2048 pixels a side)."""
    _require_manage(actor)
    info = image_inspect(data)
    with transaction.atomic():
        row = _locked_row()
        before = _public(row)
        row.logo, row.logo_type, row.logo_hash = data, info.content_type, info.sha256
        row.logo_width, row.logo_height = info.width, info.height
        row.updated_at, row.updated_by = clock.now(), access.user_of(actor)
        row.save(update_fields=[
            "logo", "logo_type", "logo_hash", "logo_width", "logo_height", "updated_at", "updated_by",
        ])  # fmt: skip
        _audit(actor, "branding.logo_set", row, before, via)
    return row


def branding_logo_remove(*, actor: access.By, via: str = "console") -> Branding:
    """Remove the logo (the name is shown alone). Removing no logo changes and records nothing."""
    _require_manage(actor)
    with transaction.atomic():
        row = _locked_row()
        if not row.logo_hash:
            return row
        before = _public(row)
        row.logo, row.logo_type, row.logo_hash, row.logo_width, row.logo_height = None, "", "", 0, 0
        row.updated_at, row.updated_by = clock.now(), access.user_of(actor)
        row.save(update_fields=[
            "logo", "logo_type", "logo_hash", "logo_width", "logo_height", "updated_at", "updated_by",
        ])  # fmt: skip
        _audit(actor, "branding.logo_remove", row, before, via)
    return row
