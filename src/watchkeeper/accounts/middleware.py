"""Send MSP staff to two-factor set-up when the installation requires it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp import user_has_device

from watchkeeper.accounts.services import two_factor_required

# Paths a user without a device may still reach while being asked to set one up.
_EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/",
    "/v2/",
    "/integrations/",
)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and two_factor_required(user)
            and not user_has_device(user)
        ):
            return redirect("accounts:two_factor_setup")
        return self.get_response(request)
