"""Users (e-mail login, one role each), teams, API tokens and sign-in records."""

from __future__ import annotations

import secrets
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from watchkeeper.core import clock
from watchkeeper.core.crypto import SecretUnreadable, secret_decrypt, secret_encrypt
from watchkeeper.core.models import TimestampedModel


class Role(models.TextChoices):
    OWNER = "owner", "MSP owner"
    ADMIN = "admin", "MSP admin"
    MANAGER = "manager", "Manager"
    TECHNICIAN = "technician", "Technician"
    CLIENT_ADMIN = "client_admin", "Client admin"
    CLIENT_USER = "client_user", "Client user"


MSP_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.TECHNICIAN})
MSP_ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_USER})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(role=Role.OWNER, is_superuser=True, all_clients=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. MSP staff have an MSP role; portal users belong to one client."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TECHNICIAN)
    # Portal users (client admin / client user) belong to exactly one client.
    client = models.ForeignKey(
        "tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="portal_users"
    )
    # Managers and technicians see every client, or only those assigned to them.
    all_clients = models.BooleanField(default=False)
    assigned_clients = models.ManyToManyField("tenancy.Client", blank=True, related_name="assigned_staff")
    timezone = models.CharField(max_length=64, default="UTC")
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=clock.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.CheckConstraint(
                name="portal_user_has_client",
                condition=(
                    ~models.Q(role__in=["client_admin", "client_user"]) | models.Q(client__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="msp_user_has_no_client",
                condition=models.Q(role__in=["client_admin", "client_user"]) | models.Q(client__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        """Django admin entry: MSP owners, admins and managers (see accounts.admin)."""
        return self.is_active and self.role in {Role.OWNER, Role.ADMIN, Role.MANAGER}

    @property
    def is_msp(self) -> bool:
        return self.role in MSP_ROLES

    @property
    def is_portal_user(self) -> bool:
        return self.role in CLIENT_ROLES

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The user's time zone for showing times (UTC when the stored name is unknown)."""
        return clock.zone_or_utc(self.timezone)

    def is_verified(self) -> bool:
        """Whether this request's session passed two-factor. django-otp's OTPMiddleware replaces
        this on each request's user; without it (a user loaded outside a request) it is False."""
        return False

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Team(TimestampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    is_lead = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_member")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    # Optional restriction to one client, narrowing what the user may see.
    client = models.ForeignKey("tenancy.Client", null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """One failed sign-in; counted per e-mail and per IP within a window (throttling)."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} from {self.ip} at {self.at:%Y-%m-%d %H:%M}"


class SecuritySettings(models.Model):
    """Installation-wide security switches (a single row, pk=1)."""

    require_2fa_for_staff = models.BooleanField(
        default=False, help_text="MSP staff must set up and use TOTP two-factor authentication."
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "security settings"
        verbose_name_plural = "security settings"

    def __str__(self) -> str:
        return "Security settings"


class TotpSeed(models.Model):
    """The seed of one authenticator (django-otp's `TOTPDevice`), encrypted at rest (ADR 0025).

    django-otp keeps its seed as plain hex in `TOTPDevice.key`. Here that column holds a random
    decoy of the same length instead, so that nothing reading it (a backup, a query, django-otp's
    own code) learns the seed or verifies against it; `SealedTOTPDevice` reads the seed from here.
    """

    device = models.OneToOneField(
        "otp_totp.TOTPDevice", on_delete=models.CASCADE, primary_key=True, related_name="sealed_seed"
    )
    seed_encrypted = models.TextField()

    def __str__(self) -> str:
        return f"seed of device {self.device_id}"


class SealedTOTPDevice(TOTPDevice):
    """A TOTP device whose seed comes from `TotpSeed`; every view that verifies codes uses it."""

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        sealed = TotpSeed.objects.filter(device_id=self.pk).values_list("seed_encrypted", flat=True).first()
        if sealed is None:
            # Never fall back to the decoy in `key`: a device without its seed verifies nothing.
            return secrets.token_bytes(20)
        try:
            return bytes.fromhex(secret_decrypt(sealed))
        except SecretUnreadable:
            return secrets.token_bytes(20)

    def seal(self, seed_hex: str) -> None:
        """Store `seed_hex` encrypted and a decoy in django-otp's column. Caller saves nothing else."""
        TotpSeed.objects.update_or_create(
            device_id=self.pk, defaults={"seed_encrypted": secret_encrypt(seed_hex)}
        )
        self.key = random_hex(len(seed_hex) // 2)
        TOTPDevice.objects.filter(pk=self.pk).update(key=self.key)
