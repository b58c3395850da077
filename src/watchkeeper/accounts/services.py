"""Writes for accounts: users, tokens, sign-in throttling and security settings."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from watchkeeper.accounts.models import CLIENT_ROLES, ApiToken, LoginFailure, Role, SecuritySettings, User
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core import clock
from watchkeeper.core.errors import Forbidden, InvalidInput

TOKEN_PREFIX = "wk_"  # noqa: S105  (a public prefix, not a secret)
VALID_SCOPES = ("read", "write", "admin")


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"'{email}' is not a valid e-mail address.", field="email") from None
    return email


def _clean_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None


def user_create(
    *,
    email: str,
    role: str,
    full_name: str = "",
    password: str | None = None,
    client: Any = None,
    all_clients: bool = False,
    timezone: str = "UTC",
    phone: str = "",
    actor: Any = "cli",
    via: str = "cli",
) -> User:
    """Create a user. Portal roles need a client; MSP roles must not have one."""
    email = _clean_email(email)
    if role not in Role.values:
        raise InvalidInput(f"Unknown role '{role}'. Choose one of: {', '.join(Role.values)}.", field="role")
    if role in CLIENT_ROLES and client is None:
        raise InvalidInput(f"A {role} belongs to one client: give its slug with --client.", field="client")
    if role not in CLIENT_ROLES and client is not None:
        raise InvalidInput("MSP staff do not belong to a client; assign clients instead.", field="client")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {timezone!r}; use an IANA name like Europe/London.") from None
    if User.objects.filter(email=email).exists():
        raise InvalidInput(f"A user with e-mail {email} already exists.", field="email")
    user = User(
        email=email,
        full_name=full_name or email.split("@")[0].replace(".", " ").title(),
        role=role,
        client=client,
        all_clients=all_clients or role in {Role.OWNER, Role.ADMIN},
        is_superuser=role == Role.OWNER,
        timezone=timezone,
        phone=phone,
    )
    if password:
        _clean_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save()
        audit_record(actor=actor, action="user.create", obj=user, after=snapshot(user), via=via)
    return user


def user_set_password(*, user: User, password: str, actor: Any, via: str = "console") -> None:
    _clean_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="user.password_change", obj=user, via=via)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    user: User,
    name: str = "",
    scopes: list[str] | None = None,
    client: Any = None,
    expires_at: dt.datetime | None = None,
    actor: Any = "cli",
    via: str = "cli",
    session_verified: bool | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token and return it with its secret, which is never stored.

    A web adapter passes `session_verified` (django-otp's `user.is_verified()`): a staff member
    who must use two-factor cannot mint a token, which outlives the session, on a password alone.
    None means no web session is involved (the operator's shell: `watchkeeper token create`)."""
    if session_verified is False and two_factor_required(user):
        raise Forbidden("Verify your sign-in with your authenticator code before creating an API token.")
    scopes = sorted(set(scopes or ["read"]))
    unknown = [scope for scope in scopes if scope not in VALID_SCOPES]
    if unknown:
        raise InvalidInput(
            f"Unknown scope {', '.join(unknown)}. Choose from: {', '.join(VALID_SCOPES)}.", field="scopes"
        )
    if user.is_portal_user and client is not None and client.pk != user.client_id:
        raise InvalidInput(
            "A portal user's token can only be restricted to their own client.", field="client"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(
        user=user,
        name=name or f"token {clock.now():%Y-%m-%d %H:%M}",
        prefix=secret[:10],
        digest=_digest(secret),
        scopes=scopes,
        client=client,
        expires_at=expires_at,
    )
    with transaction.atomic():
        token.save()
        audit_record(actor=actor, action="token.create", obj=token, after=snapshot(token), via=via)
    return token, secret


def token_authenticate(secret: str) -> ApiToken | None:
    """The live token for a bearer secret, or None. Records last use at most once a minute."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_revoke(*, token: ApiToken, actor: Any, via: str = "console") -> None:
    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="token.revoke", obj=token, via=via)


def login_is_throttled(*, email: str, ip: str | None) -> bool:
    """True when too many sign-ins failed for this address or from this IP recently."""
    since = clock.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.LOGIN_THROTTLE_FAILURES
    if recent.filter(email=email.strip().lower()).count() >= limit:
        return True
    # An IP may try a few addresses (shared office NAT) before it is stopped.
    return ip is not None and recent.filter(ip=ip).count() >= limit * 4


def login_failure_record(*, email: str, ip: str | None) -> None:
    LoginFailure.objects.create(email=email.strip().lower()[:254], ip=ip)


def login_success_record(*, email: str) -> None:
    LoginFailure.objects.filter(email=email.strip().lower()).delete()


def login_failures_prune() -> int:
    """Forget failures older than the window (run by the engine)."""
    since = clock.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    deleted, _ = LoginFailure.objects.filter(at__lt=since).delete()
    return deleted


def security_settings() -> SecuritySettings:
    obj, _ = SecuritySettings.objects.get_or_create(pk=1)
    return obj


def security_settings_update(
    *, require_2fa_for_staff: bool, actor: Any, via: str = "console"
) -> SecuritySettings:
    with transaction.atomic():
        obj = SecuritySettings.objects.select_for_update().get_or_create(pk=1)[0]
        before = snapshot(obj)
        obj.require_2fa_for_staff = require_2fa_for_staff
        obj.updated_at = clock.now()
        obj.save(update_fields=["require_2fa_for_staff", "updated_at"])
        audit_record(
            actor=actor, action="security.update", obj=obj, before=before, after=snapshot(obj), via=via
        )
    return obj


def two_factor_required(user: User) -> bool:
    return user.is_msp and security_settings().require_2fa_for_staff


def user_profile_update(
    *, user: User, full_name: str, timezone: str, actor: Any, via: str = "console"
) -> User:
    """A person's own name and time zone (pages show times in it)."""
    full_name = full_name.strip()
    if not full_name:
        raise InvalidInput("Your name cannot be empty.", field="full_name")
    if len(full_name) > 150:
        raise InvalidInput("A name can be at most 150 characters.", field="full_name")
    if timezone not in zoneinfo.available_timezones():
        raise InvalidInput(
            f"Unknown time zone '{timezone}'. Use a name such as Europe/Berlin.", field="timezone"
        )
    with transaction.atomic():
        before = snapshot(user)
        user.full_name, user.timezone = full_name, timezone
        user.save(update_fields=["full_name", "timezone"])
        audit_record(
            actor=actor, action="user.profile", obj=user, before=before, after=snapshot(user), via=via
        )
    return user
