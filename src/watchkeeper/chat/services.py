"""Writes of chat configuration: channels, slash-command endpoints and chat user links. Each
checks the actor's right (`chat.manage`; a channel shared by every client, an endpoint or a link
only by someone who works on every client, ADR 0027), validates, saves and audits in one
transaction. Addresses and secrets are stored encrypted and never audited (ADR 0025)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import User
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.chat.delivery import chat_url_check, email_list_check
from watchkeeper.chat.models import (
    ALL_EVENTS,
    ChannelKind,
    ChatChannel,
    ChatPost,
    ChatProvider,
    ChatUserLink,
    SlashEndpoint,
)
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.policy.selectors import priority_keys
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import ActorLike
from watchkeeper.tenancy.models import Client

_UNSET: Any = object()


def _events(events: Sequence[str]) -> list[str]:
    unknown = sorted(set(events) - set(ALL_EVENTS))
    if unknown:
        raise InvalidInput(f"Unknown event {unknown[0]!r} (known: {', '.join(ALL_EVENTS)}).", field="events")
    return [event for event in ALL_EVENTS if event in events]


def _priorities(priorities: Sequence[str]) -> list[str]:
    known = priority_keys()
    unknown = [key for key in priorities if key not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown priority {unknown[0]!r} (known: {', '.join(known)}).", field="priorities"
        )
    return [key for key in known if key in priorities]


def _address(kind: str, address: str) -> tuple[str, str]:
    """The address as stored and its non-secret hint; checked (and the URL by the outbound guard)."""
    address = address.strip()
    if len(address) > 2000:
        raise InvalidInput("The address can be at most 2,000 characters.", field="address")
    if kind == ChannelKind.EMAIL:
        emails = email_list_check(address)
        return ", ".join(emails), f"{len(emails)} address{'es' if len(emails) != 1 else ''}: {emails[0]}…"
    service = chat_url_check(address)
    scheme = address.split("://", 1)[0].lower()
    return address, f"{service} ({scheme}://…)"


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("A channel needs a name.", field="name")
    if len(name) > 100:
        raise InvalidInput("A name can be at most 100 characters.", field="name")
    return name


def channel_create(
    *,
    actor: ActorLike,
    client: Client | None,
    name: str,
    address: str,
    kind: str = ChannelKind.CHAT,
    events: Sequence[str] = tuple(ALL_EVENTS),
    priorities: Sequence[str] = (),
    digest: bool = False,
    is_enabled: bool = True,
) -> ChatChannel:
    access.require_write(actor, "chat.manage", client=client)
    if kind not in ChannelKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(ChannelKind.values)}.", field="kind")
    channel = ChatChannel(
        client=client, name=_name(name), kind=kind, events=_events(events),
        priorities=_priorities(priorities), digest=digest, is_enabled=is_enabled,
    )  # fmt: skip
    channel.address, channel.address_hint = _address(kind, address)
    with transaction.atomic():
        channel.save()
        audit_record(
            actor=actor, action="chat.channel.create", obj=channel, after=snapshot(channel), via=_via(actor)
        )
    return channel


def channel_update(
    *,
    actor: ActorLike,
    channel: ChatChannel,
    name: str = _UNSET,
    address: str = _UNSET,
    events: Sequence[str] = _UNSET,
    priorities: Sequence[str] = _UNSET,
    digest: bool = _UNSET,
    is_enabled: bool = _UNSET,
) -> ChatChannel:
    """Change what is given; an address left out is kept (it is never shown back in full)."""
    access.require_write(actor, "chat.manage", client=channel.client)
    before = snapshot(channel)
    if name is not _UNSET:
        channel.name = _name(name)
    if address is not _UNSET and address.strip():
        channel.address, channel.address_hint = _address(channel.kind, address)
    if events is not _UNSET:
        channel.events = _events(events)
    if priorities is not _UNSET:
        channel.priorities = _priorities(priorities)
    if digest is not _UNSET:
        channel.digest = bool(digest)
    if is_enabled is not _UNSET:
        channel.is_enabled = bool(is_enabled)
    with transaction.atomic():
        channel.save(
            update_fields=channel.touch_fields(
                "name", "address_encrypted", "address_hint", "events", "priorities", "digest", "is_enabled"
            )
        )
        audit_record(
            actor=actor, action="chat.channel.update", obj=channel, before=before, after=snapshot(channel),
            via=_via(actor),
        )  # fmt: skip
    return channel


def channel_delete(*, actor: ActorLike, channel: ChatChannel) -> None:
    access.require_write(actor, "chat.manage", client=channel.client)
    with transaction.atomic():
        audit_record(
            actor=actor, action="chat.channel.delete", obj=channel, before=snapshot(channel), via=_via(actor)
        )
        channel.delete()


def channel_test(*, actor: ActorLike, channel: ChatChannel) -> ChatPost:
    """Queue a test post to the channel (the engine sends it, like any post: see its answer on the
    channel page). At most one a minute per channel."""
    access.require_write(actor, "chat.manage", client=channel.client)
    now = clock.now()
    events = ", ".join(channel.events) or "no events"
    text = (
        f"A test post from Watchkeeper to {channel.name}: this channel receives {events}"
        + (" and the leadership digest" if channel.digest else "") + "."
    )  # fmt: skip
    post = ChatPost(
        channel=channel, client=channel.client, cause=f"test:{now:%Y-%m-%dT%H:%M}", event="test",
        title=f"Watchkeeper test post to {channel.name}"[:255], text=text, due_at=now, created_at=now,
    )  # fmt: skip
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError as exc:
        raise Conflict("A test post to this channel was queued this minute already.") from exc
    return post


def _via(actor: ActorLike) -> str:
    return "api" if isinstance(actor, access.Actor) and actor.scopes is not None else "console"


def endpoint_create(*, actor: ActorLike, provider: str, name: str, secret: str) -> SlashEndpoint:
    """A slash-command endpoint: Slack's signing secret (the app's Basic Information page) or
    Mattermost's command token. Its address, /chat/commands/<key>, is what the chat tool calls."""
    access.require_write(actor, "chat.manage", client=None)
    if provider not in ChatProvider.values:
        raise InvalidInput(f"provider must be one of {', '.join(ChatProvider.values)}.", field="provider")
    secret = secret.strip()
    if not 16 <= len(secret) <= 200:
        raise InvalidInput("Paste the signing secret (Slack) or token (Mattermost): 16 to 200 characters.",
                           field="secret")  # fmt: skip
    endpoint = SlashEndpoint(provider=provider, name=_name(name), key=secrets.token_urlsafe(18))
    endpoint.secret = secret
    with transaction.atomic():
        endpoint.save()
        audit_record(actor=actor, action="chat.endpoint.create", obj=endpoint, after=snapshot(endpoint),
                     via=_via(actor))  # fmt: skip
    return endpoint


def endpoint_delete(*, actor: ActorLike, endpoint: SlashEndpoint) -> None:
    access.require_write(actor, "chat.manage", client=None)
    with transaction.atomic():
        audit_record(actor=actor, action="chat.endpoint.delete", obj=endpoint, before=snapshot(endpoint),
                     via=_via(actor))  # fmt: skip
        endpoint.delete()


def link_create(
    *, actor: ActorLike, provider: str, team_id: str, external_id: str, user_id: int
) -> ChatUserLink:
    """Let the chat account `external_id` (in workspace `team_id`, or any) act as the user. Only
    someone who works on every client links accounts, so naming any user leaks nothing."""
    access.require_write(actor, "chat.manage", client=None)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise InvalidInput(f"Unknown user: {user_id}.", field="user")
    if provider not in ChatProvider.values:
        raise InvalidInput(f"provider must be one of {', '.join(ChatProvider.values)}.", field="provider")
    external_id, team_id = external_id.strip(), team_id.strip()
    if not external_id or len(external_id) > 64 or len(team_id) > 64:
        raise InvalidInput(
            "Enter the chat user id (at most 64 characters), e.g. U024BE7LH.", field="external_id"
        )
    if not access.is_active_staff(user):
        raise InvalidInput("Only active MSP staff can act from chat.", field="user")
    link = ChatUserLink(provider=provider, team_id=team_id, external_id=external_id, user=user)
    try:
        with transaction.atomic():
            link.save()
            audit_record(
                actor=actor, action="chat.link.create", obj=link, after=snapshot(link), via=_via(actor)
            )
    except IntegrityError as exc:
        raise Conflict(f"{external_id} is already linked to a user.") from exc
    return link


def link_delete(*, actor: ActorLike, link: ChatUserLink) -> None:
    access.require_write(actor, "chat.manage", client=None)
    with transaction.atomic():
        audit_record(actor=actor, action="chat.link.delete", obj=link, before=snapshot(link), via=_via(actor))
        link.delete()
