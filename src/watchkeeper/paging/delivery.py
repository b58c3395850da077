"""Talking to providers: e-mail over SMTP (to the server `watchkeeper.mail` says), everything
else through Apprise.

Apprise URLs are people's input, so they are held to three rules: only the schemes in
`APPRISE_SCHEMES` (docs/paging.md lists them), our own timeouts whatever the URL says (`?rto=`,
`?cto=`), and every connection made while sending checked by the SSRF guard at connect time
(`core.egress`; redirects are not followed). The hosts a URL names are also checked when it is
saved (`core.netguard`), which gives people an early, readable refusal.

Each send answers a `Delivery`: whether it went out, whether a failure is permanent (a bad
address: retrying cannot help, fall back at once) or temporary (retry with backoff), and the
provider's own answer, which is recorded on the message and the incident timeline. A send never
raises: whatever goes wrong is a recorded answer. Sends touch no database (they run on the
engine's delivery threads).
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection

from watchkeeper.core import egress, netguard
from watchkeeper.core.errors import InvalidInput
from watchkeeper.mail.backend import files_note
from watchkeeper.mail.selectors import MailSetup, mail_setup_current
from watchkeeper.mail.transport import smtp_deliver, smtp_problem

log = logging.getLogger("watchkeeper.paging")

# What a contact method may be, by Apprise scheme. Not here: plugins that speak other protocols
# (syslog, MQTT, XMPP, IRC, SMPP, Nostr relays …) or reach hosts their URL does not name as a
# host (Zulip's organisation, Azure Communication Services' endpoint).
APPRISE_SCHEMES = frozenset({
    # webhooks
    "json", "jsons", "form", "forms", "xml", "xmls",
    # chat
    "slack", "workflow", "workflows", "tgram", "discord", "mmost", "mmosts", "matrix", "matrixs",
    "rocket", "rockets", "gchat", "wxteams", "webex", "signal", "signals",
    # push
    "ntfy", "ntfys", "gotify", "gotifys", "pover", "pbul",
    # SMS and voice
    "twilio", "vonage", "nexmo", "sinch", "plivo", "clicksend", "msgbird", "bulksms",
    # alerting services
    "signl4", "opsgenie", "pagerduty",
    # e-mail through a server of the person's own
    "mailto", "mailtos",
})  # fmt: skip

# Ours, whatever the URL says: Apprise's `?cto=` and `?rto=` let a URL hold a send for minutes.
APPRISE_CONNECT_SECONDS = 4.0
APPRISE_READ_SECONDS = 5.0

# Control characters (CR and LF first) end a header or start another; in a title they are noise.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def one_line(text: str) -> str:
    """`text` fit for a header or a title: control characters (CR, LF …) become one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


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


def _smtp_failure(exc: smtplib.SMTPResponseException) -> Delivery:
    error = exc.smtp_error
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    return Delivery(ok=False, response=f"{exc.smtp_code} {text}", permanent=500 <= exc.smtp_code < 600)


def email_send(outgoing: Outgoing, *, setup: MailSetup | None = None) -> Delivery:
    """Through `setup`'s server (default: the server of the moment, `mail_setup_current`, which
    reads the database: the engine chooses it before handing the send to a delivery thread)."""
    setup = setup or mail_setup_current()
    subject, sender = one_line(outgoing.subject), one_line(setup.from_address)
    to, reply_to = one_line(outgoing.to), one_line(outgoing.reply_to)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.INBOUND_EMAIL_DOMAIN or None)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(outgoing.text)
    if setup.server is None:
        DjangoEmail(
            subject, outgoing.text, sender, [to], reply_to=[reply_to] if reply_to else None,
            connection=get_connection(),
        ).send()  # fmt: skip
        return Delivery(ok=True, response=files_note())
    try:
        return Delivery(ok=True, response=smtp_deliver(setup.server, sender=sender, to=to, message=message))
    except smtplib.SMTPRecipientsRefused as exc:
        code, refusal = next(iter(exc.recipients.values()))
        return Delivery(ok=False, response=f"{code} {refusal!r}", permanent=500 <= code < 600)
    except smtplib.SMTPResponseException as exc:
        return _smtp_failure(exc)
    except (OSError, smtplib.SMTPException) as exc:  # the network, TLS: retry with backoff
        return Delivery(ok=False, response=f"{type(exc).__name__}: {smtp_problem(exc, setup.server)}")


def _apprise_hosts(notifier: Any) -> list[str]:
    """The network hosts an Apprise set of URLs names. A plugin whose URL template has a host
    token (json://, form://, xml://, ntfy://host, gotify://, matrix://…) connects to that host;
    the others (Slack, Telegram, Discord…) talk to their fixed public API and the first part of
    their URL is a token, not a host. Apprise e-mail connects to its SMTP server (the `smtp=`
    argument, or one derived from the address's domain), not to the domain itself."""
    hosts: list[str] = []
    for plugin in notifier:
        smtp_host = str(getattr(plugin, "smtp_host", None) or "")
        host = str(getattr(plugin, "host", None) or "")
        if smtp_host:
            hosts.append(smtp_host)
        elif host and "host" in getattr(plugin, "template_tokens", {}):
            hosts.append(host)
    return hosts


def _notifier(url: str) -> Any:
    """Apprise for `url`, or None when Apprise does not understand it. Sends one plugin after the
    other in the caller's thread, following no redirect."""
    import apprise  # heavy (loads 100+ plugins): only what needs it pays for it

    notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False, http_redirects=False))
    return notifier if notifier.add(url) else None


def _protocols(plugin: Any) -> set[str]:
    """The schemes of a plugin's kind (`gotify`, `gotifys`), not of the connection it makes."""
    found: set[str] = set()
    for value in (getattr(plugin, "protocol", None), getattr(plugin, "secure_protocol", None)):
        found.update([value] if isinstance(value, str) else value or ())
    return {str(scheme).lower() for scheme in found}


def _refused_schemes(notifier: Any, url: str) -> list[str]:
    """The schemes of `url` that contact methods may not use (empty: all allowed)."""
    refused = [plugin for plugin in notifier if not _protocols(plugin) & APPRISE_SCHEMES]
    if not refused:
        return []
    typed = {scheme.lower() for scheme in _SCHEME.findall(url)}
    return sorted(typed - APPRISE_SCHEMES) or sorted(str(plugin.service_name) for plugin in refused)


def apprise_url_hosts(url: str) -> list[str]:
    """The hosts `url` would connect to. Raises InvalidInput (field `address`) when Apprise does
    not understand it or it uses a scheme contact methods may not use."""
    notifier = _notifier(url)
    if notifier is None:
        raise InvalidInput("Enter a notification URL Apprise understands (e.g. tgram://…).", field="address")
    refused = _refused_schemes(notifier, url)
    if refused:
        names = ", ".join(f"{scheme}://" for scheme in refused)
        raise InvalidInput(
            f"{names} cannot be used for a contact method; the schemes that can are listed in "
            "docs/paging.md (webhooks, chat, push, SMS and e-mail services).",
            field="address",
        )
    return _apprise_hosts(notifier)


def _apprise_notify(notifier: Any, outgoing: Outgoing, seconds: float) -> Delivery:
    for plugin in notifier:
        plugin.socket_connect_timeout, plugin.socket_read_timeout = (
            APPRISE_CONNECT_SECONDS, APPRISE_READ_SECONDS,
        )  # fmt: skip
        plugin.redirects = False
    with egress.outbound_guarded(seconds=seconds) as scope:
        result = notifier.notify(title=one_line(outgoing.subject), body=outgoing.text, log_level=logging.INFO)
    if scope.refusal:
        return Delivery(ok=False, response=f"refused by the outbound guard: {scope.refusal}", permanent=True)
    answer = " | ".join(str(entry) for entry in result.logs())[-1000:]
    return Delivery(ok=bool(result), response=answer or ("sent" if result else "failed"))


def apprise_send(outgoing: Outgoing, *, seconds: float | None = None) -> Delivery:
    """Send through Apprise; `seconds`: the deadline (default: WATCHKEEPER_DELIVERY_DEADLINE)."""
    notifier = _notifier(outgoing.to)
    if notifier is None:
        return Delivery(ok=False, response="Apprise does not understand this URL", permanent=True)
    refused = _refused_schemes(notifier, outgoing.to)
    if refused:
        return Delivery(ok=False, response=f"{', '.join(refused)}:// is not allowed here", permanent=True)
    try:
        # Before the send too: gives the readable reason for a name that resolves inside now.
        netguard.hosts_check(_apprise_hosts(notifier))
    except netguard.OutboundRefused as exc:
        return Delivery(ok=False, response=f"refused by the outbound guard: {exc.message}", permanent=True)
    except netguard.HostUnresolvable as exc:
        return Delivery(ok=False, response=exc.message)
    return _apprise_notify(notifier, outgoing, seconds or float(settings.DELIVERY_DEADLINE_SECONDS))


def send(outgoing: Outgoing, *, setup: MailSetup | None) -> Delivery:
    """E-mail through `setup` (a `MailSetup`), or Apprise when `setup` is None. Never raises: an
    error nobody expected is recorded as a permanent failure, so that the page falls back to the
    person's next contact method at once instead of failing the same way on every retry."""
    try:
        return email_send(outgoing, setup=setup) if setup is not None else apprise_send(outgoing)
    except Exception as exc:
        log.exception("sending to %s failed unexpectedly", "e-mail" if setup else "Apprise")
        return Delivery(ok=False, response=f"{type(exc).__name__}: {exc}"[:500], permanent=True)
