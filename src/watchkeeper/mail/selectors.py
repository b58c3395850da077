"""Which server sends mail right now, decided at each send so that every process (web, engine,
smtp) follows a change made in the console without a restart.

Precedence: WATCHKEEPER_SMTP_URL (with WATCHKEEPER_EMAIL_FROM) when set; otherwise the server set
in the console; otherwise no server, and Django's file backend keeps the mail. Reading costs one
primary-key query per message (none when the environment decides), next to an SMTP transaction
that takes milliseconds to seconds: no cache to invalidate across processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from watchkeeper.mail.models import SINGLETON_PK, MailSettings
from watchkeeper.mail.transport import NONE, STARTTLS, TLS, SmtpServer

ENVIRONMENT, CONSOLE, FILES = "environment", "console", "files"


@dataclass(frozen=True)
class MailSetup:
    source: str  # environment, console or files
    from_address: str
    server: SmtpServer | None  # None: no server; the mail is written to files


def _environment_server() -> SmtpServer:
    security = TLS if settings.EMAIL_USE_SSL else STARTTLS if settings.EMAIL_USE_TLS else NONE
    return SmtpServer(
        host=settings.EMAIL_HOST, port=int(settings.EMAIL_PORT), security=security,
        username=settings.EMAIL_HOST_USER, password=settings.EMAIL_HOST_PASSWORD,
        timeout=float(settings.EMAIL_TIMEOUT or 20),
    )  # fmt: skip


def mail_settings_get() -> MailSettings:
    """The console's row, or an unsaved blank one when nobody has saved any."""
    return MailSettings.objects.filter(pk=SINGLETON_PK).first() or MailSettings(pk=SINGLETON_PK)


def mail_setup_current() -> MailSetup:
    if settings.SMTP_FROM_ENVIRONMENT:
        return MailSetup(ENVIRONMENT, settings.DEFAULT_FROM_EMAIL, _environment_server())
    row = MailSettings.objects.filter(pk=SINGLETON_PK).first()
    if row is not None and row.host:
        server = SmtpServer(
            host=row.host, port=row.port, security=row.security, username=row.username,
            password=row.password, timeout=float(settings.EMAIL_TIMEOUT or 20),
        )  # fmt: skip
        return MailSetup(CONSOLE, row.from_address, server)
    return MailSetup(FILES, settings.DEFAULT_FROM_EMAIL, None)
