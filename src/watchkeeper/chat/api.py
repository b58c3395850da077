"""REST adapters for chat channels, their posts, slash-command endpoints and chat user links. Thin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from ninja import Query, Router, Status

from watchkeeper.chat import selectors, services
from watchkeeper.chat.models import ChatChannel, ChatPost, ChatUserLink, SlashEndpoint
from watchkeeper.chat.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelUpdateIn,
    EndpointIn,
    EndpointOut,
    LinkIn,
    LinkOut,
    PostOut,
)
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.paging.services.notify import base_url
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest

router = Router(tags=["chat"])


@router.get("/chat-channels", response=list[ChannelOut])
@paginated()
def list_channels(
    request: ApiRequest, client: str = Query("", description="A client's slug")
) -> QuerySet[ChatChannel]:
    client_id = access.client_access(request.auth, client).pk if client else None
    return selectors.channel_list(actor=request.auth, client_id=client_id)


@router.post("/chat-channels", response={201: ChannelOut})
def create_channel(request: ApiRequest, body: ChannelIn) -> Status[ChatChannel]:
    data: dict[str, Any] = body.dict()
    slug = data.pop("client")
    client = access.client_reference(request.auth, slug) if slug else None
    return Status(201, services.channel_create(actor=request.auth, client=client, **data))


@router.get("/chat-channels/{channel_id}", response=ChannelOut)
def get_channel(request: ApiRequest, channel_id: Id) -> ChatChannel:
    return selectors.channel_access(actor=request.auth, channel_id=channel_id)


@router.patch("/chat-channels/{channel_id}", response=ChannelOut)
def update_channel(request: ApiRequest, channel_id: Id, body: ChannelUpdateIn) -> ChatChannel:
    channel = selectors.channel_access(actor=request.auth, channel_id=channel_id)
    changes = {key: value for key, value in body.dict(exclude_unset=True).items() if value is not None}
    return services.channel_update(actor=request.auth, channel=channel, **changes)


@router.delete("/chat-channels/{channel_id}", response={204: None})
def delete_channel(request: ApiRequest, channel_id: Id) -> Status[None]:
    channel = selectors.channel_access(actor=request.auth, channel_id=channel_id)
    services.channel_delete(actor=request.auth, channel=channel)
    return Status(204, None)


@router.post("/chat-channels/{channel_id}/test", response={202: PostOut})
def test_channel(request: ApiRequest, channel_id: Id) -> Status[ChatPost]:
    channel = selectors.channel_access(actor=request.auth, channel_id=channel_id)
    return Status(202, services.channel_test(actor=request.auth, channel=channel))


@router.get("/chat-channels/{channel_id}/posts", response=list[PostOut])
@paginated()
def list_posts(request: ApiRequest, channel_id: Id) -> QuerySet[ChatPost]:
    channel = selectors.channel_access(actor=request.auth, channel_id=channel_id)
    return selectors.channel_posts(actor=request.auth, channel=channel)


def _endpoint_out(endpoint: SlashEndpoint) -> dict[str, Any]:
    url = base_url() + reverse("chat:command", kwargs={"key": endpoint.key})
    fields = ("id", "provider", "name", "key", "is_enabled", "created_at")
    return {**{name: getattr(endpoint, name) for name in fields}, "url": url}


@router.get("/chat-commands", response=list[EndpointOut])
@paginated()
def list_endpoints(request: ApiRequest) -> list[dict[str, Any]]:
    return [_endpoint_out(endpoint) for endpoint in selectors.endpoint_list(actor=request.auth)[:500]]


@router.post("/chat-commands", response={201: EndpointOut})
def create_endpoint(request: ApiRequest, body: EndpointIn) -> Status[dict[str, Any]]:
    endpoint = services.endpoint_create(actor=request.auth, **body.dict())
    return Status(201, _endpoint_out(endpoint))


@router.delete("/chat-commands/{endpoint_id}", response={204: None})
def delete_endpoint(request: ApiRequest, endpoint_id: Id) -> Status[None]:
    endpoint = selectors.endpoint_access(actor=request.auth, endpoint_id=endpoint_id)
    services.endpoint_delete(actor=request.auth, endpoint=endpoint)
    return Status(204, None)


@router.get("/chat-user-links", response=list[LinkOut])
@paginated()
def list_links(request: ApiRequest) -> QuerySet[ChatUserLink]:
    return selectors.link_list(actor=request.auth)


@router.post("/chat-user-links", response={201: LinkOut})
def create_link(request: ApiRequest, body: LinkIn) -> Status[ChatUserLink]:
    data: dict[str, Any] = body.dict()
    return Status(201, services.link_create(actor=request.auth, user_id=data.pop("user"), **data))


@router.delete("/chat-user-links/{link_id}", response={204: None})
def delete_link(request: ApiRequest, link_id: Id) -> Status[None]:
    link = selectors.link_access(actor=request.auth, link_id=link_id)
    services.link_delete(actor=request.auth, link=link)
    return Status(204, None)
