"""Reads of chat configuration and posts, narrowed to what the actor may see: a client's
channel only by those who see that client, the NOC channel (no client) by every MSP user who
may view chat. Another client's channel is NotFound (404), never Forbidden."""

from __future__ import annotations

from django.db.models import QuerySet

from watchkeeper.chat.models import ChatChannel, ChatPost, ChatUserLink, SlashEndpoint
from watchkeeper.core.errors import NotFound
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import ActorLike


def channel_list(*, actor: ActorLike, client_id: int | None = None) -> QuerySet[ChatChannel]:
    access.require(actor, "chat.view")
    channels = access.scope_shared(ChatChannel.objects.select_related("client"), actor)
    if client_id is not None:
        channels = channels.filter(client_id=client_id)
    return channels.order_by("client__name", "name", "id")


def channel_access(*, actor: ActorLike, channel_id: int) -> ChatChannel:
    # Existence first (another client's channel is 404 for everyone), then the right to read.
    channel = (
        access.scope_shared(ChatChannel.objects.select_related("client"), actor).filter(pk=channel_id).first()
    )
    if channel is None:
        raise NotFound(f"No chat channel {channel_id}.")
    access.require(actor, "chat.view")
    return channel


def _posts_seen(posts: QuerySet[ChatPost], actor: ActorLike) -> QuerySet[ChatPost]:
    """Posts about clients the actor sees. The NOC channel is shared, but its posts are about
    every client: a person restricted to some clients sees only theirs, and the NOC digest
    (about every client, `client` empty) only someone who sees every client."""
    return access.scope(posts, actor)


def channel_posts(*, actor: ActorLike, channel: ChatChannel) -> QuerySet[ChatPost]:
    """The channel's posts the actor may see, newest first (caller checked access to the channel)."""
    posts = _posts_seen(channel.posts.select_related("incident__client"), actor)
    return posts.order_by("-created_at", "-id")


def recent_posts(*, actor: ActorLike) -> QuerySet[ChatPost]:
    """Posts of every channel the actor sees, about clients the actor sees, newest first."""
    visible = channel_list(actor=actor).values("pk")
    posts = ChatPost.objects.filter(channel__in=visible).select_related("channel", "incident__client")
    return _posts_seen(posts, actor).order_by("-created_at", "-id")


def endpoint_list(*, actor: ActorLike) -> QuerySet[SlashEndpoint]:
    access.require(actor, "chat.view")
    return SlashEndpoint.objects.order_by("name", "id")


def endpoint_access(*, actor: ActorLike, endpoint_id: int) -> SlashEndpoint:
    endpoint = endpoint_list(actor=actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(f"No slash-command endpoint {endpoint_id}.")
    return endpoint


def link_list(*, actor: ActorLike) -> QuerySet[ChatUserLink]:
    """Links to the people the actor may see (a person restricted to some clients sees links of
    staff, not of other clients' portal users: links are only ever to MSP staff)."""
    access.require(actor, "chat.view")
    return ChatUserLink.objects.select_related("user").order_by("provider", "external_id")


def link_access(*, actor: ActorLike, link_id: int) -> ChatUserLink:
    link = link_list(actor=actor).filter(pk=link_id).first()
    if link is None:
        raise NotFound(f"No chat user link {link_id}.")
    return link
