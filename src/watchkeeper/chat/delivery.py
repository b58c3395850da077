"""Talking to chat services: Apprise for the chat URLs, SMTP for e-mail lists. Network only, no
database (sends run on the engine's delivery threads), and never raises: every outcome is a
`Delivery` (paging's answer type).

The rules of ADR 0019/0028 hold as for contact methods: only the schemes in `CHAT_SCHEMES`, our
own timeouts whatever the URL says, no redirects, every connection checked by the outbound guard
at connect time, and the hosts a URL names checked at save and again before each send.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings

from watchkeeper.core import egress, netguard
from watchkeeper.core.errors import InvalidInput
from watchkeeper.mail.selectors import MailSetup
from watchkeeper.paging.delivery import Delivery, Outgoing, email_send, one_line

log = logging.getLogger("watchkeeper.chat")

# The chat services a channel may post to, by Apprise scheme → the service's name.
CHAT_SCHEMES: dict[str, str] = {
    "slack": "Slack",
    "workflow": "Microsoft Teams", "workflows": "Microsoft Teams",
    "mmost": "Mattermost", "mmosts": "Mattermost",
    "gchat": "Google Chat",
    "discord": "Discord",
    "matrix": "Matrix", "matrixs": "Matrix",
    "rocket": "Rocket.Chat", "rockets": "Rocket.Chat",
    "json": "Webhook (JSON)", "jsons": "Webhook (JSON)",
}  # fmt: skip
# Native webhook URLs Apprise recognises (https://hooks.slack.com/services/…, a Teams workflow,
# discord.com/api/webhooks/…, chat.googleapis.com/…) arrive with the https scheme.
_NATIVE = ("https",)

APPRISE_CONNECT_SECONDS = 4.0
APPRISE_READ_SECONDS = 5.0
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def _notifier(url: str) -> Any:
    import apprise  # heavy (loads 100+ plugins): only what needs it pays for it

    notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False, http_redirects=False))
    return notifier if notifier.add(url) else None


def _protocols(plugin: Any) -> set[str]:
    found: set[str] = set()
    for value in (getattr(plugin, "protocol", None), getattr(plugin, "secure_protocol", None)):
        found.update([value] if isinstance(value, str) else value or ())
    return {str(scheme).lower() for scheme in found}


def _hosts(notifier: Any) -> list[str]:
    """The hosts a URL connects to: those of plugins whose template has a host token (Mattermost,
    Matrix, Rocket.Chat, a Teams workflow, json://); Slack, Discord and Google Chat talk to their
    fixed public API."""
    return [
        str(plugin.host)
        for plugin in notifier
        if getattr(plugin, "host", None) and "host" in getattr(plugin, "template_tokens", {})
    ]


def service_of(url: str) -> str:
    """The chat service a URL posts to ("Slack"), or "" when it is not one of ours."""
    notifier = _notifier(url)
    if notifier is None or len(notifier) != 1:
        return ""
    names = [CHAT_SCHEMES[scheme] for scheme in sorted(_protocols(notifier[0])) if scheme in CHAT_SCHEMES]
    return names[0] if names else ""


def chat_url_check(url: str) -> str:
    """Check a channel's Apprise URL as it is saved; returns the service's name. Raises
    InvalidInput (field `address`): not understood, several URLs, not a chat service, or a host
    the outbound guard refuses (or that does not resolve)."""
    typed = _SCHEME.match(url)
    if typed is None or (
        typed.group(1).lower() not in CHAT_SCHEMES and typed.group(1).lower() not in _NATIVE
    ):
        raise InvalidInput(
            "Enter one Apprise URL of a chat service: " + ", ".join(f"{s}://" for s in sorted(CHAT_SCHEMES))
            + ", or a Slack, Teams, Discord or Google Chat webhook address.",
            field="address",
        )  # fmt: skip
    service = service_of(url)
    if not service:
        raise InvalidInput(
            "This is not the address of a chat service this channel can post to "
            "(Slack, Microsoft Teams, Mattermost, Google Chat, Discord, Matrix, Rocket.Chat, JSON webhook).",
            field="address",
        )
    try:
        netguard.hosts_check(_hosts(_notifier(url)))
    except netguard.OutboundRefused as exc:
        raise InvalidInput(exc.message, field="address") from exc
    except netguard.HostUnresolvable as exc:
        raise InvalidInput(exc.message, field="address") from exc
    return service


def email_list_check(addresses: str) -> list[str]:
    """The addresses of an e-mail list (comma or newline separated), each checked."""
    found = [part.strip() for part in re.split(r"[,;\s]+", addresses) if part.strip()]
    if not found:
        raise InvalidInput("Enter at least one e-mail address.", field="address")
    bad = [address for address in found if not _EMAIL.match(address)]
    if bad:
        raise InvalidInput(f"Not an e-mail address: {bad[0]}", field="address")
    if len(found) > 50:
        raise InvalidInput("An e-mail list can have at most 50 addresses.", field="address")
    return found


def chat_send(url: str, *, title: str, text: str, seconds: float | None = None) -> Delivery:
    """Post through Apprise (Markdown body: links become each service's own link syntax)."""
    try:
        notifier = _notifier(url)
        if notifier is None:
            return Delivery(ok=False, response="Apprise does not understand this URL", permanent=True)
        if any(not _protocols(plugin) & CHAT_SCHEMES.keys() for plugin in notifier):
            return Delivery(ok=False, response="not a chat service a channel may post to", permanent=True)
        try:
            netguard.hosts_check(_hosts(notifier))
        except netguard.OutboundRefused as exc:
            return Delivery(
                ok=False, response=f"refused by the outbound guard: {exc.message}", permanent=True
            )
        except netguard.HostUnresolvable as exc:
            return Delivery(ok=False, response=exc.message)
        return _notify(notifier, title, text, seconds or float(settings.DELIVERY_DEADLINE_SECONDS))
    except Exception as exc:
        log.exception("posting to a chat channel failed unexpectedly")
        return Delivery(ok=False, response=f"{type(exc).__name__}: {exc}"[:500], permanent=True)


def _notify(notifier: Any, title: str, text: str, seconds: float) -> Delivery:
    import apprise

    for plugin in notifier:
        plugin.socket_connect_timeout, plugin.socket_read_timeout = (
            APPRISE_CONNECT_SECONDS,
            APPRISE_READ_SECONDS,
        )
        plugin.redirects = False
        # No "Apprise" footer, nor an icon fetched from GitHub by the chat service.
        for name in ("include_footer", "include_image"):
            if hasattr(plugin, name):
                setattr(plugin, name, False)
    with egress.outbound_guarded(seconds=seconds) as scope:
        result = notifier.notify(
            title=one_line(title),
            body=text,
            body_format=apprise.NotifyFormat.MARKDOWN,
            log_level=logging.INFO,
        )
    if scope.refusal:
        return Delivery(ok=False, response=f"refused by the outbound guard: {scope.refusal}", permanent=True)
    answer = " | ".join(str(entry) for entry in result.logs())[-1000:]
    return Delivery(ok=bool(result), response=answer or ("sent" if result else "failed"))


def email_list_send(addresses: list[str], *, title: str, text: str, setup: MailSetup) -> Delivery:
    """One e-mail per address through the MSP's outgoing mail; ok when every one was accepted."""
    answers, ok, permanent = [], True, True
    for address in addresses:
        try:
            answer = email_send(Outgoing(to=address, subject=title, text=text), setup=setup)
        except Exception as exc:
            answer = Delivery(ok=False, response=f"{type(exc).__name__}: {exc}"[:300])
        answers.append(f"{address}: {answer.response[:200]}")
        ok, permanent = ok and answer.ok, permanent and (answer.ok or answer.permanent)
    return Delivery(ok=ok, response=" | ".join(answers)[-1000:], permanent=not ok and permanent)
