"""Hold MSP staff who must use two-factor at set-up or verification until their session is
verified (django-otp's `user.is_verified()`).

The decision goes by the view a request resolves to, not by path prefix: a prefix such as
`/integrations/` covered both the ingest endpoints (which need no session) and the console page
that shows an integration's key, and `/accounts/` covered token creation.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_otp import user_has_device

from watchkeeper.accounts.models import User
from watchkeeper.accounts.services import two_factor_required

# Views an unverified session may still reach: the steps to become verified, signing out, and
# the machine endpoints that authenticate by key or bearer token, never by the session.
_OPEN_VIEWS = frozenset(
    {
        "accounts:login",
        "accounts:two_factor_verify",
        "accounts:two_factor_setup",
        "accounts:logout",
        "web:healthz",
        "web:readyz",
        "web:metrics",
    }
)
_OPEN_NAMESPACES = frozenset({"ingest", "api"})
_STATIC_PREFIX = "/static/"


def _is_open(request: HttpRequest) -> bool:
    if request.path_info.startswith(_STATIC_PREFIX):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # a 404 page shows nothing
    if match.view_name in _OPEN_VIEWS:
        return True
    return bool(_OPEN_NAMESPACES.intersection(match.namespaces)) or match.view_name == "api-not-found"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and isinstance(user, User)
            and two_factor_required(user)
            and not user.is_verified()
            and not _is_open(request)
        ):
            if user_has_device(user):
                return redirect("accounts:two_factor_verify")
            return redirect("accounts:two_factor_setup")
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Show every time of a signed-in person's request in their own zone (`User.zone`): Django's
    `date` and `time` filters, and `wk.when`, read the active zone. A page that shows several
    zones at once labels each time with its abbreviation (`|date:"… T"`, `|when`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            with timezone.override(user.zone):
                return self.get_response(request)
        return self.get_response(request)
