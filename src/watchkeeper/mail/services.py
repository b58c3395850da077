"""Writing the console's outgoing-mail settings, and the "send a test e-mail to me" action.

Only MSP owners and admins (`mail.manage`). While WATCHKEEPER_SMTP_URL is set the environment
decides and the console's settings cannot be changed. Every save is audited, without secrets.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import transaction

from watchkeeper.audit.services import audit_record
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.mail.models import SINGLETON_PK, MailSettings, SmtpSecurity
from watchkeeper.mail.selectors import ENVIRONMENT, mail_setup_current
from watchkeeper.mail.transport import smtp_deliver, smtp_problem
from watchkeeper.tenancy import access

_HOST_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ENVIRONMENT_DECIDES = (
    "WATCHKEEPER_SMTP_URL is set, so the environment decides outgoing mail: change it there "
    "(or remove it to use the settings on this page)."
)


def _host_clean(host: str) -> str:
    host = host.strip()
    if "://" in host or "/" in host or "@" in host:
        raise InvalidInput(
            "Enter only the server's host name, such as smtp.example.net (no smtp://, no user, no path).",
            field="host",
        )
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if ":" in host:
        raise InvalidInput("Enter the port in its own field, not after the host name.", field="host")
    if len(host) > 253 or not _HOST_NAME.match(host):
        raise InvalidInput(f"'{host}' is not a host name or IP address.", field="host")
    return host.lower().rstrip(".")


def _from_clean(from_address: str) -> str:
    from_address = from_address.strip()
    if not from_address:
        raise InvalidInput(
            "Enter the address mail is sent from, such as watchkeeper@example.net.", field="from_address"
        )
    _, address = parseaddr(from_address)
    try:
        if _CONTROL.search(from_address) or len(from_address) > 254:
            raise ValidationError("control characters or too long")
        validate_email(address)
    except ValidationError as exc:
        raise InvalidInput(f"'{from_address}' is not a valid e-mail address.", field="from_address") from exc
    return from_address


def _check(
    *, host: str, port: int, security: str, username: str, password: str, from_address: str
) -> tuple[str, str]:
    """Raise InvalidInput for the first field that is wrong; returns the cleaned host and From."""
    host = _host_clean(host) if host.strip() else ""
    if not 1 <= port <= 65535:
        raise InvalidInput(
            "The port is a number from 1 to 65535: usually 587 for STARTTLS, 465 for TLS, 25 without.",
            field="port",
        )
    if security not in SmtpSecurity.values:
        raise InvalidInput(f"Security is one of {', '.join(SmtpSecurity.values)}.", field="security")
    if len(username) > 254 or _CONTROL.search(username):
        raise InvalidInput("A user name is at most 254 characters, on one line.", field="username")
    if len(password) > 512 or _CONTROL.search(password):
        raise InvalidInput("A password is at most 512 characters, on one line.", field="password")
    if password and not username:
        raise InvalidInput("A password needs a user name to go with it.", field="username")
    # Without a host, console mail is off: a From address is needed only with a server.
    from_address = _from_clean(from_address) if host or from_address.strip() else ""
    return host, from_address


def _public(row: MailSettings) -> dict[str, Any]:
    """What the audit log keeps: everything but the password, which is only "set" or not."""
    return {
        "host": row.host, "port": row.port, "security": row.security, "username": row.username,
        "from_address": row.from_address, "password": "set" if row.password_is_set else "not set",
    }  # fmt: skip


def mail_settings_save(
    *,
    actor: access.ActorLike,
    host: str,
    port: int,
    security: str,
    username: str,
    from_address: str,
    password: str | None = None,
    password_clear: bool = False,
) -> MailSettings:
    """Save the console's server. `password` None (or empty) keeps the stored one, unless
    `password_clear` or the host or user name changes; an empty `host` turns console mail off.
    Nothing is saved on any error."""
    access.require(actor, "mail.manage")
    if settings.SMTP_FROM_ENVIRONMENT:
        raise Conflict(ENVIRONMENT_DECIDES)
    username = username.strip()
    with transaction.atomic():
        row, _ = MailSettings.objects.select_for_update().get_or_create(pk=SINGLETON_PK)
        # The stored password belongs to one account on one server: a new host or user name must
        # come with its own password, or a "send test" would hand the old one to the new host.
        target_host = _host_clean(host) if host.strip() else ""
        elsewhere = target_host != row.host or username != row.username
        kept = "" if password_clear or elsewhere else row.password
        new_password = password if password else kept
        host, from_address = _check(
            host=host, port=port, security=security, username=username, password=new_password,
            from_address=from_address,
        )  # fmt: skip
        before = _public(row)
        row.host, row.port, row.security = host, port, security
        row.username, row.from_address, row.password = username, from_address, new_password
        row.updated_at, row.updated_by = clock.now(), access.as_actor(actor).user
        row.save()
        audit_record(actor=actor, action="mail_settings.update", obj=row, before=before, after=_public(row))
    return row


@dataclass(frozen=True)
class MailTestResult:
    ok: bool
    text: str  # what happened, in plain words, with the server's own answer


def mail_test_send(*, actor: access.ActorLike) -> MailTestResult:
    """Send a test e-mail to the acting person through the server of the moment, now (not
    through the outbox): the answer is for the person waiting at the page."""
    access.require(actor, "mail.manage")
    user = access.as_actor(actor).user
    setup = mail_setup_current()
    where = "WATCHKEEPER_SMTP_URL" if setup.source == ENVIRONMENT else "the console's settings"
    subject = "Watchkeeper test e-mail"
    text = f"This is a test of Watchkeeper's outgoing mail ({where}), sent at {user.email}'s request."
    if setup.server is None:
        DjangoEmail(subject, text, setup.from_address, [user.email], connection=get_connection()).send()
        return MailTestResult(
            ok=False,
            text=f"No SMTP server is set, so nothing was sent: the test e-mail was written to a file in "
            f"{settings.EMAIL_FILE_PATH} instead.",
        )
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = setup.from_address, user.email, subject
    message["Message-ID"] = make_msgid(domain=settings.INBOUND_EMAIL_DOMAIN or None)
    message.set_content(text)
    try:
        answer = smtp_deliver(setup.server, sender=setup.from_address, to=user.email, message=message)
    except (smtplib.SMTPException, OSError) as exc:
        problem = smtp_problem(exc, setup.server, sender=setup.from_address, to=user.email)
        return MailTestResult(ok=False, text=f"The test e-mail was not sent. {problem}")
    sent = f"Sent a test e-mail to {user.email} through {setup.server}."
    return MailTestResult(ok=True, text=f"{sent} The server answered: {answer}")
