"""Console pages of chat (channels, their posts, slash-command endpoints, chat user links) and the
public slash-command endpoint. Thin adapters: selectors read, services write; a refused write is
a message on the page it came from."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.chat import selectors, services
from watchkeeper.chat.commands import slash_handle
from watchkeeper.chat.models import ChannelKind, ChatEvent, ChatProvider
from watchkeeper.core.errors import InvalidInput, WatchkeeperError
from watchkeeper.core.pagination import paginate
from watchkeeper.paging.services.notify import base_url
from watchkeeper.policy.selectors import priority_keys
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

# A slash-command body is a short form; Slack's and Mattermost's are well under 4 KB.
MAX_COMMAND_BYTES = 16_384


def _console(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    access.require(user, "console.use")
    access.require(user, "chat.view")
    return user


def _int(value: str | None, field: str) -> int:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 12:
        raise InvalidInput(f"{field} must be a whole number.", field=field)
    return int(value)


@login_required
@require_safe
def chat_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    endpoints = [
        (endpoint, base_url() + reverse("chat:command", kwargs={"key": endpoint.key}))
        for endpoint in selectors.endpoint_list(actor=user)[:100]
    ]
    context = {
        "channels": list(selectors.channel_list(actor=user)[:200]),
        "posts": paginate(selectors.recent_posts(actor=user), page=request.GET.get("page"), size=25),
        "endpoints": endpoints,
        "links": list(selectors.link_list(actor=user)[:200]),
        "clients": access.visible_clients(user).filter(is_active=True).order_by("name"),
        "staff": access.staff_for_client(None).order_by("full_name", "email"),
        "events": ChatEvent.choices,
        "kinds": ChannelKind.choices,
        "providers": ChatProvider.choices,
        "priorities": priority_keys(),
        "can_manage": access.can(user, "chat.manage"),
        "sees_every_client": access.sees_every_client(user),
    }
    return render(request, "chat/pages/chat.html", context)


@login_required
@require_safe
def channel_page(request: AuthenticatedHttpRequest, channel_id: int) -> HttpResponse:
    # Existence first: another client's channel is 404 for everyone, portal users included.
    channel = selectors.channel_access(actor=request.user, channel_id=channel_id)
    user = _console(request)
    posts = paginate(
        selectors.channel_posts(actor=user, channel=channel), page=request.GET.get("page"), size=50
    )
    context = {
        "channel": channel, "posts": posts, "events": ChatEvent.choices, "priorities": priority_keys(),
        "can_manage": access.can_write(user, "chat.manage", client=channel.client),
    }  # fmt: skip
    return render(request, "chat/pages/channel.html", context)


@login_required
@require_POST
def channel_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    post = request.POST
    try:
        slug = post.get("client", "")
        client = access.client_reference(user, slug) if slug else None
        channel = services.channel_create(
            actor=user, client=client, name=post.get("name", ""), kind=post.get("kind", ChannelKind.CHAT),
            address=post.get("address", ""), events=post.getlist("events"),
            priorities=post.getlist("priorities"), digest=post.get("digest") == "1",
        )  # fmt: skip
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
        return redirect("chat:page")
    messages.success(request, f"Channel {channel} added; new events post to it from now on.")
    return redirect("chat:channel", channel_id=channel.pk)


@login_required
@require_POST
def channel_edit(request: AuthenticatedHttpRequest, channel_id: int) -> HttpResponse:
    user = _console(request)
    channel = selectors.channel_access(actor=user, channel_id=channel_id)
    post = request.POST
    try:
        services.channel_update(
            actor=user, channel=channel, name=post.get("name", channel.name), address=post.get("address", ""),
            events=post.getlist("events"), priorities=post.getlist("priorities"),
            digest=post.get("digest") == "1", is_enabled=post.get("is_enabled") == "1",
        )  # fmt: skip
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Channel saved.")
    return redirect("chat:channel", channel_id=channel.pk)


@login_required
@require_POST
def channel_test(request: AuthenticatedHttpRequest, channel_id: int) -> HttpResponse:
    user = _console(request)
    channel = selectors.channel_access(actor=user, channel_id=channel_id)
    try:
        services.channel_test(actor=user, channel=channel)
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "A test post is on its way; its answer appears below.")
    return redirect("chat:channel", channel_id=channel.pk)


@login_required
@require_POST
def channel_delete(request: AuthenticatedHttpRequest, channel_id: int) -> HttpResponse:
    user = _console(request)
    channel = selectors.channel_access(actor=user, channel_id=channel_id)
    services.channel_delete(actor=user, channel=channel)
    messages.success(request, f"Channel {channel} removed.")
    return redirect("chat:page")


@login_required
@require_POST
def endpoint_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    post = request.POST
    try:
        endpoint = services.endpoint_create(
            actor=user,
            provider=post.get("provider", ""),
            name=post.get("name", ""),
            secret=post.get("secret", ""),
        )
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
        return redirect("chat:page")
    url = base_url() + reverse("chat:command", kwargs={"key": endpoint.key})
    messages.success(request, f"Endpoint {endpoint} added: enter {url} as the command's request URL.")
    return redirect("chat:page")


@login_required
@require_POST
def endpoint_delete(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    user = _console(request)
    services.endpoint_delete(
        actor=user, endpoint=selectors.endpoint_access(actor=user, endpoint_id=endpoint_id)
    )
    messages.success(request, "Endpoint removed.")
    return redirect("chat:page")


@login_required
@require_POST
def link_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    post = request.POST
    try:
        services.link_create(
            actor=user, provider=post.get("provider", ""), team_id=post.get("team_id", ""),
            external_id=post.get("external_id", ""), user_id=_int(post.get("user"), "user"),
        )  # fmt: skip
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Chat account linked.")
    return redirect("chat:page")


@login_required
@require_POST
def link_delete(request: AuthenticatedHttpRequest, link_id: int) -> HttpResponse:
    user = _console(request)
    services.link_delete(actor=user, link=selectors.link_access(actor=user, link_id=link_id))
    messages.success(request, "Chat account unlinked.")
    return redirect("chat:page")


@csrf_exempt
def slash_command(request: HttpRequest, key: str) -> HttpResponse:
    """Slack's and Mattermost's slash-command request (a form POST). Verified by `slash_handle`."""
    if request.method != "POST":
        return JsonResponse({"response_type": "ephemeral", "text": "Slash commands are POSTed."}, status=405)
    body = request.body
    if len(body) > MAX_COMMAND_BYTES:
        return JsonResponse({"response_type": "ephemeral", "text": "The request is too large."}, status=413)
    if request.POST.get("ssl_check") == "1":
        return HttpResponse(status=200)  # Slack checking the certificate: nothing to run
    form = {name: request.POST.get(name, "") for name in ("token", "team_id", "user_id", "user_name", "text")}
    answer = slash_handle(key=key, headers=request.headers, body=body, form=form)
    response = JsonResponse(answer.body(), status=answer.status)
    response["Cache-Control"] = "no-store"
    return response
