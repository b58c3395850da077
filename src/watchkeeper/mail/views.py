"""The outgoing-mail page: the server of the moment, the console's settings (read-only while
the environment decides) and the test e-mail. Thin: selectors read, services decide; a wrong
field answers 400 with its message beside it and nothing saved."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput, WatchkeeperError
from watchkeeper.mail import selectors, services
from watchkeeper.mail.models import SmtpSecurity
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


def _mail_admin(request: AuthenticatedHttpRequest) -> User:
    """The signed-in owner or admin: only they see or change the outgoing-mail server."""
    user = request.user
    access.require(user, "mail.manage")
    return user


def _page(
    request: AuthenticatedHttpRequest,
    *,
    posted: dict[str, Any] | None = None,
    error: WatchkeeperError | None = None,
) -> HttpResponse:
    row = selectors.mail_settings_get()
    values = posted or {
        "host": row.host, "port": row.port, "security": row.security, "username": row.username,
        "from_address": row.from_address,
    }  # fmt: skip
    context = {
        "setup": selectors.mail_setup_current(),
        "row": row,
        "values": values,
        "securities": SmtpSecurity.choices,
        "error": error.message if error else "",
        "error_field": (error.field if error else "") or "",
        "file_path": settings.EMAIL_FILE_PATH,
    }
    return render(request, "mail/pages/settings.html", context, status=error.status if error else 200)


def _port(value: str) -> int:
    value = value.strip()
    if not value.isdigit():
        raise InvalidInput("The port is a number, such as 587.", field="port")
    return int(value)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mail_settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _mail_admin(request)
    if request.method != "POST":
        return _page(request)
    post = request.POST
    posted = {key: post.get(key, "") for key in ("host", "port", "security", "username", "from_address")}
    try:
        services.mail_settings_save(
            actor=user, host=posted["host"], port=_port(posted["port"]), security=posted["security"],
            username=posted["username"], from_address=posted["from_address"],
            password=post.get("password") or None, password_clear=post.get("password_clear") == "1",
        )  # fmt: skip
    except WatchkeeperError as exc:
        return _page(request, posted=posted, error=exc)
    messages.success(request, "Saved. Every process sends through these settings from the next message on.")
    return redirect("mail:settings")


@login_required
@require_POST
def mail_test(request: AuthenticatedHttpRequest) -> HttpResponse:
    result = services.mail_test_send(actor=_mail_admin(request))
    (messages.success if result.ok else messages.error)(request, result.text)
    return redirect("mail:settings")
