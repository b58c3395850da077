"""The outgoing-mail server as set in the console (one row). WATCHKEEPER_SMTP_URL, when set,
takes precedence over it (see `selectors.mail_setup_current`)."""

from __future__ import annotations

from django.db import models

from watchkeeper.core import clock
from watchkeeper.core.crypto import SecretUnreadable, secret_decrypt, secret_encrypt

SINGLETON_PK = 1


class SmtpSecurity(models.TextChoices):
    NONE = "none", "None (plain SMTP, usually port 25)"
    STARTTLS = "starttls", "STARTTLS (usually port 587)"
    TLS = "tls", "TLS from the start (SMTPS, usually port 465)"


class MailSettings(models.Model):
    """The SMTP server set in the console; `host` empty means none is set. The password is
    encrypted at rest (`core.crypto`) and never shown again."""

    host = models.CharField(max_length=253, blank=True)
    port = models.PositiveIntegerField(default=587)
    security = models.CharField(max_length=10, choices=SmtpSecurity.choices, default=SmtpSecurity.STARTTLS)
    username = models.CharField(max_length=254, blank=True)
    password_encrypted = models.TextField(blank=True)
    from_address = models.CharField(max_length=254, blank=True, help_text="The sender of every message")
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = "outgoing mail settings"
        verbose_name_plural = "outgoing mail settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=SINGLETON_PK), name="mail_settings_one_row")
        ]

    def __str__(self) -> str:
        return "Outgoing mail settings"

    @property
    def password(self) -> str:
        """The stored password; empty when none is stored or the secret key changed since."""
        if not self.password_encrypted:
            return ""
        try:
            return secret_decrypt(self.password_encrypted)
        except SecretUnreadable:
            return ""

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = secret_encrypt(value) if value else ""

    @property
    def password_is_set(self) -> bool:
        return bool(self.password_encrypted)
