"""Responding from anywhere: signed one-click links and reply addresses.

A token is 32 random bytes shown once (in the message); only its SHA-256 digest is stored.
A link token is single-purpose (one action), expires, and is usable once. A reply token lets
the paged person answer "ack" or "resolve" by e-mail from their own address until it expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput, NotFound
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.services import incident_acknowledge, incident_resolve
from watchkeeper.paging.models import ResponseAction, ResponseToken
from watchkeeper.paging.services.notify import base_url
from watchkeeper.tenancy import access

LINK_LIFETIME = dt.timedelta(hours=24)
REPLY = ResponseAction.REPLY


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def response_token_create(*, incident: Incident, user: User, action: str) -> str:
    secret = secrets.token_urlsafe(32)
    ResponseToken.objects.create(
        digest=_digest(secret), incident=incident, user=user, action=action,
        expires_at=clock.now() + LINK_LIFETIME,
    )  # fmt: skip
    return secret


def links_for(*, incident: Incident, user: User) -> tuple[str, str]:
    """Text to append to a page (acknowledge and resolve links) and its reply-to address."""
    lines = ["", "Respond (links work once, for 24 hours):"]
    for action in (ResponseAction.ACKNOWLEDGE, ResponseAction.RESOLVE):
        secret = response_token_create(incident=incident, user=user, action=action)
        lines.append(f"  {action.label}: {base_url()}{reverse('paging:respond', kwargs={'token': secret})}")
    reply = response_token_create(incident=incident, user=user, action=REPLY)
    lines.append('Or reply to this e-mail with "ack" or "resolve".')
    return "\n".join(lines), f"page-{reply}@{settings.INBOUND_EMAIL_DOMAIN}"


def response_token_get(*, secret: str) -> ResponseToken:
    token = ResponseToken.objects.select_related("incident", "user").filter(digest=_digest(secret)).first()
    if token is None or token.expires_at <= clock.now():
        raise NotFound("This link is unknown or has expired.")
    return token


def _act(token: ResponseToken, action: str) -> Incident:
    user = token.user
    if not user.is_active or not access.can(user, "incidents.respond", client=token.incident.client):
        raise NotFound("This link is unknown or has expired.")
    if action == ResponseAction.ACKNOWLEDGE:
        return incident_acknowledge(incident=token.incident, by=user)
    if action == ResponseAction.RESOLVE:
        return incident_resolve(incident=token.incident, by=user, note="from the page")
    raise InvalidInput(f"Unknown response {action!r}.")


def response_token_use(*, secret: str) -> Incident:
    """Take the link's action as the paged user. Usable once: the token row is locked and
    marked used in the same transaction as the action."""
    with transaction.atomic():
        token = response_token_get(secret=secret)
        # The token row only: the incident is locked by the service that acts (incident_lock).
        token = (
            ResponseToken.objects.select_for_update(of=("self",))
            .select_related("incident__client", "user")
            .get(pk=token.pk)
        )
        if token.action == REPLY:
            raise NotFound("This link is unknown or has expired.")
        if token.used_at is not None:
            raise Conflict("This link was already used.")
        token.used_at = clock.now()
        token.save(update_fields=["used_at"])
        return _act(token, token.action)


def reply_command(body: str) -> str | None:
    """The command in a reply: the first non-quoted, non-empty line's first word."""
    for line in body.splitlines():
        stripped = line.strip().lower()
        if not stripped or stripped.startswith(">"):
            continue
        word = stripped.split()[0].strip(".!,")
        return {"ack": "ack", "acknowledge": "ack", "resolve": "resolve", "resolved": "resolve"}.get(word)
    return None


def reply_handle(*, local_part: str, sender: str, body: str) -> Incident:
    """An e-mail reply to `page-<token>@…`: the sender must be the paged user."""
    secret = local_part.removeprefix("page-")
    token = response_token_get(secret=secret)
    if token.action != REPLY or sender.strip().lower() != token.user.email.lower():
        raise NotFound("Unknown reply address.")
    command = reply_command(body)
    if command is None:
        raise InvalidInput('Reply with "ack" or "resolve".')
    return _act(token, command)
