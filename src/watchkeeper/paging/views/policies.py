"""Console pages of escalation policies: the list (with a form for a new policy), one policy's
page, and its editor: settings, the default, levels (add, delay, move, remove), targets,
services, delete.

Thin adapters. Every POST looks the policy up first (another tenant's is a 404), then asks the
access module for `escalation.manage` (403), then hands the form to one service call, which
validates and writes in one transaction. Input a person can fix shows the page again with the
message beside the form that failed, as a 400; success redirects back (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import Conflict, InvalidInput, NotFound
from watchkeeper.core.pagination import paginate
from watchkeeper.paging import selectors
from watchkeeper.paging.models import EscalationPolicy, EscalationTarget, TargetKind
from watchkeeper.paging.services import levels, policies
from watchkeeper.paging.targets import target_gaps
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Service

Options = list[tuple[str, list[tuple[str, str]]]]
# What a change returns: the success message and the part of the page to come back to.
Change = Callable[[User, EscalationPolicy], tuple[str, str]]


@dataclass(frozen=True)
class Failed:
    """A form that did not go through: which one, why, and what was typed (to fill it again)."""

    form: str
    message: str
    level_id: int | None = None
    values: dict[str, str] = field(default_factory=dict)
    status: int = 400


def _viewer(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    access.require(user, "console.use")
    return user


def _policy(request: AuthenticatedHttpRequest, policy_id: int) -> tuple[User, EscalationPolicy]:
    user = request.user
    policy = selectors.policy_access(actor=user, pk=policy_id)  # another tenant's: 404 before any 403
    access.require(user, "console.use")
    return user, policy


def _number(post: QueryDict, name: str, message: str) -> int:
    text = post.get(name, "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise InvalidInput(message, field=name)
    return int(text)


def _minutes(post: QueryDict) -> int:
    return _number(
        post, "delay_minutes", f"Give the delay as a whole number of minutes, 0 to {policies.MAX_DELAY}."
    )


def _repeat(post: QueryDict) -> int:
    return _number(post, "repeat", f"Give the repeats as a whole number, 0 to {policies.MAX_REPEAT}.")


def _target_spec(post: QueryDict) -> policies.TargetSpec:
    """`target` is "user:7", "schedule:3" or "team:2"; a team pages everyone or, with
    team_mode=round_robin, one member in turn."""
    kind, _, pk = post.get("target", "").partition(":")
    if kind not in {TargetKind.USER, TargetKind.SCHEDULE, TargetKind.TEAM} or not (
        pk.isascii() and pk.isdigit() and len(pk) <= 18
    ):
        raise InvalidInput("Choose whom to page: a person, an on-call schedule or a team.", field="target")
    if kind == TargetKind.TEAM and post.get("team_mode") == "round_robin":
        kind = TargetKind.TEAM_ROUND_ROBIN
    return policies.TargetSpec(kind, int(pk))


def _target_options(choices: selectors.TargetChoices) -> Options:
    return [
        ("People", [(f"user:{user.pk}", user.full_name or user.email) for user in choices.users]),
        (
            "On-call schedules (whoever is on call)",
            [
                (f"schedule:{s.pk}", s.name if s.client_id else f"{s.name} (MSP-wide)")
                for s in choices.schedules
            ],
        ),
        ("Teams", [(f"team:{team.pk}", team.name) for team in choices.teams]),
    ]


def _service_options(
    user: User, policy: EscalationPolicy, assigned: list[Service]
) -> list[tuple[Service, str]]:
    """Services the policy could page for, each with what pages for it now."""
    options = []
    for service in selectors.policy_service_choices(actor=user, policy=policy):
        if service in assigned:
            continue
        link = getattr(service, "escalation", None)
        options.append((service, f"uses {link.policy.name}" if link else "uses the default"))
    return options


def _page(
    request: AuthenticatedHttpRequest, user: User, policy: EscalationPolicy, failed: Failed | None = None
) -> HttpResponse:
    services = list(selectors.policy_services(actor=user, policy=policy))
    # Editing the policy itself needs its client (an MSP-wide one: every client); assigning it
    # to a service changes only that service's client, whose services the picker lists.
    can_manage = policies.policy_can_change(user, client=policy.client)
    can_assign = access.can(user, "escalation.manage")
    context = {
        "policy": policy, "levels": list(policy.levels.all()), "services": services,
        "default": selectors.default_policy(policy=policy), "can_manage": can_manage, "failed": failed,
        "can_assign": can_assign, "shared_read_only": can_assign and not can_manage,
        "max_delay": policies.MAX_DELAY, "max_repeat": policies.MAX_REPEAT,
    }  # fmt: skip
    if can_manage:
        choices = selectors.policy_target_choices(actor=user, policy=policy)
        context |= {
            "target_options": _target_options(choices),
            "has_teams": bool(choices.teams),
            "escalating": selectors.policy_escalating_count(actor=user, policy=policy),
        }
    if can_assign:
        context["service_options"] = _service_options(user, policy, services)
    return render(request, "paging/pages/policy.html", context, status=failed.status if failed else 200)


def _warn(request: AuthenticatedHttpRequest, policy: EscalationPolicy, target: EscalationTarget) -> None:
    """Saved, but some of the people `target` names cannot work on the policy's client."""
    gap = target_gaps(target=target, client=policy.client)
    if gap:
        messages.warning(request, gap)


def _to(policy: EscalationPolicy, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('paging:policy', args=[policy.pk])}#{anchor}")


def _change(
    request: AuthenticatedHttpRequest, policy_id: int, form: str, change: Change, level_id: int | None = None
) -> HttpResponse:
    user, policy = _policy(request, policy_id)
    access.require(user, "escalation.manage")
    try:
        note, anchor = change(user, policy)
    except (InvalidInput, Conflict) as exc:
        fresh = selectors.policy_access(actor=user, pk=policy.pk)  # as it is after the rollback
        failed = Failed(form, exc.message, level_id, request.POST.dict(), exc.status)
        return _page(request, user, fresh, failed)
    messages.success(request, note)
    return _to(policy, anchor)


def _list(request: AuthenticatedHttpRequest, user: User, failed: Failed | None = None) -> HttpResponse:
    page = paginate(
        selectors.policy_list(actor=user).prefetch_related("levels"), page=request.GET.get("page"), size=50
    )
    can_manage = access.can(user, "escalation.manage")
    clients = access.visible_clients(user).filter(is_active=True).order_by("name") if can_manage else []
    context = {
        "page": page, "can_manage": can_manage, "clients": clients, "failed": failed,
        "can_create_shared": policies.policy_can_change(user, client=None),
        "max_repeat": policies.MAX_REPEAT,
    }  # fmt: skip
    return render(request, "paging/pages/policies.html", context, status=failed.status if failed else 200)


@login_required
@require_safe
def policy_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _list(request, _viewer(request))


@login_required
@require_POST
def policy_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _viewer(request)
    access.require(user, "escalation.manage")
    post = request.POST
    try:
        slug = post.get("client", "").strip()
        policy = policies.policy_create(
            actor=user, name=post.get("name", ""), description=post.get("description", ""),
            client=access.client_reference(user, slug) if slug else None, repeat=_repeat(post),
        )  # fmt: skip
    except InvalidInput as exc:
        return _list(request, user, Failed("new", exc.message, values=post.dict()))
    messages.success(request, f"Created {policy.name}. Add its first level: whom to page first.")
    return _to(policy, "levels")


@login_required
@require_safe
def policy_page(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    user, policy = _policy(request, policy_id)
    return _page(request, user, policy)


@login_required
@require_POST
def policy_settings(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        post = request.POST
        saved = policies.policy_update(
            actor=user, policy=policy, name=post.get("name", ""), description=post.get("description", ""),
            repeat=_repeat(post),
        )  # fmt: skip
        return f"Saved the settings of {saved.name}.", "settings"

    return _change(request, policy_id, "settings", change)


@login_required
@require_POST
def policy_default(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        make = request.POST.get("is_default") == "1"
        previous = policies.policy_default_set(actor=user, policy=policy, is_default=make)
        whose = f"{policy.client.name}'s default" if policy.client else "the NOC default"
        if not make:
            return f"{policy.name} is no longer {whose}.", "default"
        instead = f", instead of {previous.name}" if previous else ""
        return f"{policy.name} is now {whose}{instead}.", "default"

    return _change(request, policy_id, "default", change)


@login_required
@require_POST
def policy_delete(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    user, policy = _policy(request, policy_id)
    access.require(user, "escalation.manage")
    try:
        policies.policy_delete(actor=user, policy=policy)
    except InvalidInput as exc:
        return _page(request, user, policy, Failed("delete", exc.message))
    messages.success(request, f"Deleted the escalation policy {policy.name}.")
    return redirect("paging:policies")


@login_required
@require_POST
def level_add(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        level = levels.policy_level_add(
            actor=user, policy=policy, delay_minutes=_minutes(request.POST), target=_target_spec(request.POST)
        )
        _warn(request, policy, level.targets.get())
        return f"Added level {level.position + 1}.", f"level-{level.pk}"

    return _change(request, policy_id, "level_new", change)


@login_required
@require_POST
def level_delay(request: AuthenticatedHttpRequest, policy_id: int, level_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        level = selectors.policy_level_of(policy=policy, pk=level_id)
        level = levels.policy_level_update(actor=user, level=level, delay_minutes=_minutes(request.POST))
        minutes = f"{level.delay_minutes} minute{pluralize(level.delay_minutes)}"
        return f"Level {level.position + 1} now waits {minutes} for an acknowledgement.", f"level-{level.pk}"

    return _change(request, policy_id, "delay", change, level_id)


@login_required
@require_POST
def level_move(request: AuthenticatedHttpRequest, policy_id: int, level_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        level = selectors.policy_level_of(policy=policy, pk=level_id)
        offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0)
        number = levels.policy_level_move(actor=user, level=level, offset=offset)
        return f"Moved the level to number {number}.", f"level-{level.pk}"

    return _change(request, policy_id, "move", change, level_id)


@login_required
@require_POST
def level_remove(request: AuthenticatedHttpRequest, policy_id: int, level_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        level = selectors.policy_level_of(policy=policy, pk=level_id)
        number = level.position + 1
        levels.policy_level_remove(actor=user, level=level)
        return f"Removed level {number}; the levels after it moved up.", "levels"

    return _change(request, policy_id, "level_remove", change, level_id)


@login_required
@require_POST
def target_add(request: AuthenticatedHttpRequest, policy_id: int, level_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        level = selectors.policy_level_of(policy=policy, pk=level_id)
        target = levels.policy_target_add(actor=user, level=level, target=_target_spec(request.POST))
        _warn(request, policy, target)
        return f"Level {level.position + 1} now also pages {target}.", f"level-{level.pk}"

    return _change(request, policy_id, "target", change, level_id)


@login_required
@require_POST
def target_remove(
    request: AuthenticatedHttpRequest, policy_id: int, level_id: int, target_id: int
) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        level = selectors.policy_level_of(policy=policy, pk=level_id)
        target = selectors.policy_target_of(level=level, pk=target_id)
        levels.policy_target_remove(actor=user, target=target)
        return f"Level {level.position + 1} no longer pages {target}.", f"level-{level.pk}"

    return _change(request, policy_id, "target", change, level_id)


@login_required
@require_POST
def service_add(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        chosen = request.POST.get("service", "").strip()
        choices = selectors.policy_service_choices(actor=user, policy=policy)
        number = chosen.isascii() and chosen.isdigit() and len(chosen) <= 18
        service = choices.filter(pk=int(chosen)).first() if number else None
        if service is None:
            where = f"one of {policy.client.name}'s services" if policy.client else "a service"
            raise InvalidInput(f"Choose {where} to page with this policy.", field="service")
        policies.service_policy_set(actor=user, service=service, policy=policy)
        return f"{service.name} is now paged with {policy.name}.", "services"

    return _change(request, policy_id, "services", change)


@login_required
@require_POST
def service_remove(request: AuthenticatedHttpRequest, policy_id: int, service_id: int) -> HttpResponse:
    def change(user: User, policy: EscalationPolicy) -> tuple[str, str]:
        service = selectors.policy_services(actor=user, policy=policy).filter(pk=service_id).first()
        if service is None:
            raise NotFound(f"No service {service_id} uses this policy.")
        policies.service_policy_set(actor=user, service=service, policy=None)
        return f"{service.name} is paged with the default policy again.", "services"

    return _change(request, policy_id, "services", change)
