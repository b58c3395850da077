"""REST adapters for the MSP's brand. Thin: access and services decide.

Reading needs MSP staff (`branding.view`); changing needs an owner or admin with the admin scope
and a token not restricted to one client (the brand is shown to every client)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from ninja import File, Router
from ninja.files import UploadedFile

from watchkeeper.branding import selectors, services
from watchkeeper.branding.images import MAX_BYTES
from watchkeeper.branding.models import Branding
from watchkeeper.branding.schemas import BrandingIn, BrandingOut
from watchkeeper.core.errors import TooLarge
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest

router = Router(tags=["branding"])


def _out(row: Branding) -> dict[str, Any]:
    brand = selectors.brand_of(row)
    logo = None
    if brand.has_logo:
        logo = {
            "url": reverse("branding:logo", args=[brand.logo_file]), "content_type": row.logo_type,
            "width": row.logo_width, "height": row.logo_height, "sha256": row.logo_hash,
        }  # fmt: skip
    return {
        "name": row.name, "display_name": brand.name, "accent": row.accent,
        "support_email": row.support_email, "support_phone": row.support_phone,
        "support_url": row.support_url, "logo": logo,
        "updated_at": None if row._state.adding else row.updated_at,  # never saved: never changed
        "updated_by": row.updated_by.email if row.updated_by else None,
    }  # fmt: skip


def _current() -> Branding:
    return selectors.branding_get()


@router.get("/settings/branding", response=BrandingOut)
def get_branding(request: ApiRequest) -> dict[str, Any]:
    """The brand clients see in the portal, their e-mails and their PDF reports."""
    access.require(request.auth, "branding.view")
    return _out(_current())


@router.put("/settings/branding", response=BrandingOut)
def put_branding(request: ApiRequest, body: BrandingIn) -> dict[str, Any]:
    """Replace the brand's name, accent colour and support contacts (the logo is kept)."""
    services.branding_save(actor=request.auth, via="api", **body.dict())
    return _out(_current())


@router.post("/settings/branding/logo", response=BrandingOut)
def upload_logo(request: ApiRequest, logo: File[UploadedFile]) -> dict[str, Any]:
    """Set the logo from a multipart upload (field `logo`): PNG or JPEG, judged by its bytes
    (not its name or Content-Type), at most 512 KB (413 above) and 2048 pixels a side."""
    access.require_write(request.auth, "branding.manage", client=None)
    if logo.size is not None and logo.size > MAX_BYTES:
        raise TooLarge(
            f"The logo is {logo.size / 1024:.0f} KB; the limit is {MAX_BYTES // 1024} KB.", field="logo"
        )
    # One byte past the limit is enough to know it is too large.
    services.branding_logo_set(actor=request.auth, data=logo.read(MAX_BYTES + 1), via="api")
    return _out(_current())


@router.delete("/settings/branding/logo", response=BrandingOut)
def delete_logo(request: ApiRequest) -> dict[str, Any]:
    """Remove the logo: clients see the name alone. Removing no logo is not an error."""
    services.branding_logo_remove(actor=request.auth, via="api")
    return _out(_current())
