"""Talking to providers: e-mail over SMTP (to the server `watchkeeper.mail` says), everything
else through Apprise, whose URLs pass the SSRF guard (`core.netguard`) when they are saved and
again before each send.

Each send answers a `Delivery`: whether it went out, whether a failure is permanent (a bad
address: retrying cannot help, fall back at once) or temporary (retry with backoff), and the
provider's own answer, which is recorded on the message and the incident timeline.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection

from watchkeeper.core import netguard
from watchkeeper.mail.backend import files_note
from watchkeeper.mail.selectors import mail_setup_current
from watchkeeper.mail.transport import smtp_deliver, smtp_problem

log = logging.getLogger("watchkeeper.paging")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    response: str
    permanent: bool = False


@dataclass(frozen=True)
class Outgoing:
    to: str  # an e-mail address, or an Apprise URL
    subject: str
    text: str
    reply_to: str = ""


def email_send(outgoing: Outgoing) -> Delivery:
    """Through the server of the moment (environment, console or files: `mail_setup_current`)."""
    setup = mail_setup_current()
    message = EmailMessage()
    message["From"] = setup.from_address
    message["To"] = outgoing.to
    message["Subject"] = outgoing.subject
    message["Message-ID"] = make_msgid(domain=settings.INBOUND_EMAIL_DOMAIN or None)
    if outgoing.reply_to:
        message["Reply-To"] = outgoing.reply_to
    message.set_content(outgoing.text)
    if setup.server is None:
        DjangoEmail(
            outgoing.subject, outgoing.text, setup.from_address, [outgoing.to],
            reply_to=[outgoing.reply_to] if outgoing.reply_to else None, connection=get_connection(),
        ).send()  # fmt: skip
        return Delivery(ok=True, response=files_note())
    try:
        answer = smtp_deliver(setup.server, sender=setup.from_address, to=outgoing.to, message=message)
        return Delivery(ok=True, response=answer)
    except smtplib.SMTPRecipientsRefused as exc:
        code, refusal = next(iter(exc.recipients.values()))
        return Delivery(ok=False, response=f"{code} {refusal!r}", permanent=500 <= code < 600)
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return Delivery(ok=False, response=f"{exc.smtp_code} {text}", permanent=500 <= exc.smtp_code < 600)
    except (OSError, smtplib.SMTPException) as exc:  # the network, TLS: retry with backoff
        return Delivery(ok=False, response=f"{type(exc).__name__}: {smtp_problem(exc, setup.server)}")


def _apprise_hosts(notifier: Any) -> list[str]:
    """The network hosts an Apprise set of URLs names. A plugin whose URL template has a host
    token (json://, form://, xml://, ntfy://host, gotify://, matrix://…) connects to that host;
    the others (Slack, Telegram, Teams, Discord…) talk to their fixed public API and the first
    part of their URL is a token, not a host. Apprise e-mail connects to its SMTP server (the
    `smtp=` argument, or one derived from the address's domain), not to the domain itself."""
    hosts: list[str] = []
    for plugin in notifier:
        smtp_host = str(getattr(plugin, "smtp_host", None) or "")
        host = str(getattr(plugin, "host", None) or "")
        if smtp_host:
            hosts.append(smtp_host)
        elif host and "host" in getattr(plugin, "template_tokens", {}):
            hosts.append(host)
    return hosts


def apprise_url_hosts(url: str) -> list[str] | None:
    """The hosts `url` would connect to, or None when Apprise does not understand it."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return None
    return _apprise_hosts(notifier)


def apprise_send(outgoing: Outgoing) -> Delivery:
    import apprise  # heavy (loads 100+ plugins): only the engine that sends pays for it

    notifier = apprise.Apprise()
    if not notifier.add(outgoing.to):
        return Delivery(ok=False, response="Apprise does not understand this URL", permanent=True)
    try:
        # Again at send time: what a host name resolves to may have changed since it was saved.
        netguard.hosts_check(_apprise_hosts(notifier))
    except netguard.OutboundRefused as exc:
        return Delivery(ok=False, response=f"refused by the outbound guard: {exc.message}", permanent=True)
    except netguard.HostUnresolvable as exc:
        return Delivery(ok=False, response=exc.message)
    with apprise.LogCapture(level=logging.INFO) as captured:
        ok = notifier.notify(title=outgoing.subject, body=outgoing.text)
        answer = captured.getvalue().strip().replace("\n", " | ")[-1000:]
    return Delivery(ok=bool(ok), response=answer or ("sent" if ok else "failed"))
