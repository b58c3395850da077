"""Sign-in (with throttling and TOTP), sign-out, two-factor set-up and the account page."""

from __future__ import annotations

import zoneinfo
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.util import random_hex

from watchkeeper.accounts import services
from watchkeeper.accounts.forms import SignInForm, TokenForm
from watchkeeper.accounts.models import SealedTOTPDevice, User
from watchkeeper.audit.services import audit_record
from watchkeeper.core.errors import Forbidden, InvalidInput, NotFound
from watchkeeper.core.panels import panels
from watchkeeper.core.remote import client_ip
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

_PENDING = "watchkeeper_pending_2fa_user"


def _throttled_message() -> str:
    minutes = max(1, settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60)
    return f"Too many failed sign-ins. Wait {minutes} minutes and try again, or reset your password."


def _next_url(request: HttpRequest, user: User) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("tenancy:portal") if user.is_portal_user else reverse("incidents:list")


def _confirmed_device(user: User) -> SealedTOTPDevice | None:
    return SealedTOTPDevice.objects.filter(user=user, confirmed=True).first()


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"].lower(), client_ip(request)
        if services.login_is_throttled(email=email, ip=ip):
            form.add_error(None, _throttled_message())
            status = 429
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                services.login_failure_record(email=email, ip=ip)
                form.add_error(None, "That e-mail address and password do not match an active account.")
                status = 400
            elif _confirmed_device(user) is not None:
                request.session[_PENDING] = user.pk
                request.session["watchkeeper_next"] = _next_url(request, user)
                return redirect("accounts:two_factor_verify")
            else:
                services.login_success_record(email=email)
                login(request, user)
                return redirect(_next_url(request, user))
    elif request.method == "POST":
        status = 400
    return render(
        request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


def _verifying_user(request: HttpRequest) -> User | None:
    """Who is asked for a code: the user between password and code at sign-in, or a signed-in
    user whose session is not verified yet (signed in before two-factor became required, or
    before they set up a device in another browser)."""
    pending = request.session.get(_PENDING)
    if pending:
        return User.objects.filter(pk=int(pending), is_active=True).first()
    signed_in = request.user
    if isinstance(signed_in, User) and _confirmed_device(signed_in) is not None:
        return signed_in
    return None


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _verifying_user(request)
    if user is None:
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if services.login_is_throttled(email=user.email, ip=client_ip(request)):
            form.add_error(None, _throttled_message())
            status = 429
        elif form.is_valid():
            device = _confirmed_device(user)
            if device is not None and device.verify_token(form.cleaned_data["token"]):
                target = request.session.pop("watchkeeper_next", reverse("web:home"))
                request.session.pop(_PENDING, None)
                services.login_success_record(email=user.email)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                otp_login(request, device)
                return redirect(target)
            services.login_failure_record(email=user.email, ip=client_ip(request))
            form.add_error("token", "That code is not valid. Codes change every 30 seconds.")
    return render(request, "accounts/two_factor_verify.html", {"form": form}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if _confirmed_device(user) is not None:
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect("accounts:account")
    device = SealedTOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = SealedTOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        device.seal(random_hex(20))  # the seed never rests in django-otp's plain column
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(actor=user, action="user.2fa_enable", obj=user)
            messages.success(
                request, "Two-factor authentication is on. You will be asked for a code at sign-in."
            )
            return redirect("accounts:account")
        form.add_error("token", "That code is not valid. Check the time on your phone and try the next code.")
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    secret = device.config_url.split("secret=")[1].split("&")[0]
    return render(
        request, "accounts/two_factor_setup.html", {"form": form, "qr": qr, "secret": secret}, status=status
    )


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.user, action="user.password_change", obj=form.user)
        return response


class AuditedPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.user, action="user.password_reset", obj=form.user)
        return response


def _account_page(request: AuthenticatedHttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    context = {
        "has_2fa": _confirmed_device(user) is not None,
        "required_2fa": services.two_factor_required(user),
        "tokens": user.api_tokens.filter(revoked_at__isnull=True).select_related("client"),
        "time_zones": sorted(zoneinfo.available_timezones()),
        "scopes": services.VALID_SCOPES,
        "token_clients": access.visible_clients(user).order_by("name") if user.is_msp else [],
        "panels": panels("account", request),
        **extra,
    }
    return render(request, "accounts/account.html", context, status=status)


@login_required
@require_safe
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def profile_update(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    try:
        services.user_profile_update(
            user=user, full_name=request.POST.get("full_name", ""), timezone=request.POST.get("timezone", ""),
            actor=user,
        )  # fmt: skip
    except InvalidInput as exc:
        user.refresh_from_db()
        return _account_page(request, status=400, profile_error=exc.message)
    messages.success(request, "Saved your profile. Times are now shown in " + user.timezone + ".")
    return redirect("accounts:account")


@login_required
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a token and show its secret on this answer only (it is never stored)."""
    user = request.user
    slug = request.POST.get("client", "")
    try:
        client = (
            access.client_reference(user, slug) if slug else (user.client if user.is_portal_user else None)
        )
        token, secret = services.token_create(
            user=user, name=request.POST.get("name", "").strip()[:100], scopes=request.POST.getlist("scopes"),
            client=client, actor=user, via="console", session_verified=request.user.is_verified(),
        )  # fmt: skip
    except (InvalidInput, Forbidden) as exc:
        return _account_page(request, status=exc.status, token_error=exc.message)
    return _account_page(request, new_token=token, new_secret=secret)


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    user = request.user
    token = user.api_tokens.filter(pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(f"No token {token_id} of yours.")
    services.token_revoke(token=token, actor=user)
    messages.success(request, f"Revoked the token “{token.name}”. Programs using it are refused from now on.")
    return redirect("accounts:account")
