"""The branding page and the logo's URL. Thin: selectors read, services check and write; a
wrong field answers 400 with its message beside it and nothing saved (413 for a logo too big)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.branding import selectors, services
from watchkeeper.branding.images import MAX_BYTES, MAX_SIDE
from watchkeeper.core.errors import InvalidInput, WatchkeeperError
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

FIELDS = ("name", "accent", "support_email", "support_phone", "support_url")
YEAR = 365 * 24 * 3600


def _branding_admin(request: AuthenticatedHttpRequest) -> User:
    """The signed-in owner or admin: only they see or change the brand here."""
    user = request.user
    access.require(user, "branding.manage")
    return user


def _page(
    request: AuthenticatedHttpRequest,
    *,
    posted: dict[str, Any] | None = None,
    error: WatchkeeperError | None = None,
    logo_error: WatchkeeperError | None = None,
) -> HttpResponse:
    row = selectors.branding_get()
    values = posted or {field: getattr(row, field) for field in FIELDS}
    failed = error or logo_error
    context = {
        "row": row,
        "brand": selectors.brand_of(row),
        "values": values,
        "error": error.message if error else "",
        "error_field": (error.field if error else "") or "",
        "logo_error": logo_error.message if logo_error else "",
        "max_kb": MAX_BYTES // 1024,
        "max_side": MAX_SIDE,
    }
    # A form error is a 400 here, a logo over the limit too: the page shows what to fix.
    return render(request, "branding/pages/settings.html", context, status=400 if failed else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def branding_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _branding_admin(request)
    if request.method != "POST":
        return _page(request)
    posted = {field: request.POST.get(field, "") for field in FIELDS}
    try:
        services.branding_save(actor=user, **posted)
    except WatchkeeperError as exc:
        return _page(request, posted=posted, error=exc)
    messages.success(request, "Saved. Clients see the new brand on their next page and in the next e-mail.")
    return redirect("branding:settings")


@login_required
@require_POST
def logo_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _branding_admin(request)
    upload = request.FILES.get("logo")
    try:
        if upload is None:
            raise InvalidInput("Choose a PNG or JPEG file to upload.", field="logo")
        # Read one byte past the limit: enough to know it is too large, never the whole of a huge file.
        services.branding_logo_set(actor=user, data=upload.read(MAX_BYTES + 1))
    except WatchkeeperError as exc:
        return _page(request, logo_error=exc)
    messages.success(request, "Logo uploaded.")
    return redirect("branding:settings")


@login_required
@require_POST
def logo_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.branding_logo_remove(actor=_branding_admin(request))
    messages.success(request, "Logo removed: clients see the name alone.")
    return redirect("branding:settings")


@require_safe
def logo_file(request: HttpRequest, file_name: str) -> HttpResponse:
    """The current logo, cacheable for a year: its URL changes with its content. An old URL
    (a replaced logo) or a made-up one is a 404."""
    logo = selectors.brand_logo(file_name=file_name)
    if logo is None:
        return HttpResponse("No such logo.", status=404, content_type="text/plain; charset=utf-8")
    etag = f'"{logo.sha256}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(logo.data, content_type=logo.content_type)
        response["Content-Length"] = str(len(logo.data))
        response["Content-Disposition"] = f'inline; filename="{file_name}"'
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    # Nothing in it may run or load, should anything ever open it as a document.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    return response
