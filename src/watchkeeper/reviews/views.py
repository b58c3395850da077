"""Console pages for reviews and action items, the Reports area's improvement metrics, and the
portal's published summaries. Thin: selectors and services decide; a refused change comes back
to its page with the reason (400/409), another tenant's review is a 404 before anything else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.core import clock
from watchkeeper.core.downloads import attachment
from watchkeeper.core.errors import InvalidInput, WatchkeeperError
from watchkeeper.core.pagination import paginate
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.policy.markup import markdown_html
from watchkeeper.reviews import actions, exports, metrics, selectors, services
from watchkeeper.reviews.facts import answers, review_facts
from watchkeeper.reviews.models import TEMPLATE_FIELDS, ActionKind, ActionStatus, FactorKind, Review
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

FACTOR_ROWS = 6


def _staff(request: AuthenticatedHttpRequest) -> None:
    access.require(request.user, "console.use")


@login_required
@require_safe
def review_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    _staff(request)
    show = request.GET.get("show", "open")
    show = show if show in selectors.REVIEW_FILTERS else "open"
    page = paginate(selectors.review_list(actor=request.user, show=show), page=request.GET.get("page"))
    context = {"page": page, "show": show, "filters": selectors.REVIEW_FILTERS, "now": clock.now()}
    return render(request, "reviews/pages/list.html", context)


def _people(review: Review) -> list[Any]:
    return list(access.staff_for_client(review.client).order_by("full_name", "email")[:200])


def _review_page(
    request: AuthenticatedHttpRequest, review: Review, *, error: str = "", status: int = 200
) -> HttpResponse:
    facts = review_facts(review)
    fields = [
        (name, label, client_safe, getattr(review, name)) for name, label, client_safe in TEMPLATE_FIELDS
    ]
    factors = [*review.factors, *[{"kind": "", "text": ""}] * max(0, FACTOR_ROWS - len(review.factors))]
    context = {
        "review": review, "incident": review.incident, "facts": facts, "answers": answers(facts),
        "fields": fields, "factors": factors, "factor_kinds": FactorKind.choices,
        "items": selectors.action_items_of(review), "action_kinds": ActionKind.choices,
        "action_statuses": ActionStatus.choices, "people": _people(review), "error": error,
        "participants": set(review.participants.values_list("pk", flat=True)),
        "summary_html": markdown_html(review.client_summary) if review.client_summary else "",
        "draft": review.client_summary or services.summary_draft_text(review), "now": clock.now(),
        "may_edit": access.can(request.user, "incidents.respond", client=review.client),
    }  # fmt: skip
    return render(request, "reviews/pages/review.html", context, status=status)


@login_required
@require_safe
def review_page(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    review = selectors.review_access(actor=request.user, pk=review_id)
    _staff(request)
    return _review_page(request, review)


def _act(request: AuthenticatedHttpRequest, review_id: int, action: Callable[[Review], str]) -> HttpResponse:
    review = selectors.review_access(actor=request.user, pk=review_id)
    _staff(request)
    access.require(request.user, "incidents.respond", client=review.client)
    try:
        done = action(review)
    except WatchkeeperError as exc:
        fresh = selectors.review_access(actor=request.user, pk=review_id)
        return _review_page(request, fresh, error=exc.message, status=exc.status)
    messages.success(request, done)
    return redirect("reviews:detail", review_id=review_id)


def _int(value: str, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a number.", field=field) from None


@login_required
@require_POST
def review_save(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    post = request.POST

    def act(review: Review) -> str:
        changes: dict[str, Any] = {name: post.get(name, "") for name, _, _ in TEMPLATE_FIELDS if name in post}
        kinds, texts = post.getlist("factor_kind"), post.getlist("factor_text")
        if kinds or texts:
            changes["factors"] = [
                {"kind": kind, "text": text} for kind, text in zip(kinds, texts, strict=False) if text.strip()
            ]
        if "owner" in post:
            changes["owner"] = _int(post["owner"], "owner")
        if "participants_shown" in post:
            changes["participants"] = [
                _int(value, "participants") for value in post.getlist("participants") if value
            ]
        services.review_update(review=review, by=request.user, changes=changes)
        return "Review saved."

    return _act(request, review_id, act)


@login_required
@require_POST
def review_complete(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    def act(review: Review) -> str:
        if request.POST.get("reopen"):
            services.review_reopen(review=review, by=request.user)
            return "Review reopened."
        services.review_complete(review=review, by=request.user)
        return "Review completed."

    return _act(request, review_id, act)


@login_required
@require_POST
def review_mark(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    post = request.POST

    def act(review: Review) -> str:
        entry_id = _int(post.get("entry", ""), "entry")
        if entry_id is None:
            raise InvalidInput("Which entry?", field="entry")
        starred = {"1": True, "0": False}.get(post.get("starred", ""))
        annotation = post.get("annotation") if "annotation" in post else None
        services.entry_mark(
            review=review, by=request.user, entry_id=entry_id, starred=starred, annotation=annotation
        )
        return "Timeline entry marked."

    return _act(request, review_id, act)


@login_required
@require_POST
def action_add(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    post = request.POST

    def act(review: Review) -> str:
        try:
            due = dt.date.fromisoformat(post.get("due_on", ""))
        except ValueError:
            raise InvalidInput("Give the due date as YYYY-MM-DD.", field="due_on") from None
        item = actions.action_item_add(
            review=review, by=request.user, title=post.get("title", ""), kind=post.get("kind", ""),
            owner=_int(post.get("owner", ""), "owner"), due_on=due, link=post.get("link", ""),
            event_rule=_int(post.get("event_rule", ""), "event_rule"),
        )  # fmt: skip
        return f"Action item added: {item.title}."

    return _act(request, review_id, act)


@login_required
@require_POST
def action_status(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    item = selectors.action_item_access(actor=request.user, pk=item_id)
    _staff(request)
    try:
        actions.action_item_update(item=item, by=request.user, status=request.POST.get("status", ""))
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{item.title}: {request.POST.get('status', '').replace('_', ' ')}.")
    target = request.POST.get("back", "")
    if target == "list":
        return redirect("reviews:actions")
    return redirect("reviews:detail", review_id=item.review_id)


@login_required
@require_POST
def summary_save(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    def act(review: Review) -> str:
        services.summary_save(review=review, by=request.user, text=request.POST.get("client_summary", ""))
        if request.POST.get("publish"):
            services.summary_publish(review=review, by=request.user)
            return "Client summary approved and published: on the portal, and e-mailed to its contacts."
        return "Client summary saved as a draft."

    return _act(request, review_id, act)


@login_required
@require_POST
def review_open(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    incident = incident_access(actor=request.user, pk=incident_id)
    _staff(request)
    try:
        review = services.review_open(incident=incident, by=request.user)
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
        return redirect("incidents:detail", incident_id=incident_id)
    return redirect("reviews:detail", review_id=review.pk)


@login_required
@require_safe
def review_export(request: AuthenticatedHttpRequest, review_id: int, fmt: str) -> HttpResponse:
    review = selectors.review_access(actor=request.user, pk=review_id)
    _staff(request)
    facts, items = review_facts(review), selectors.action_items_of(review)
    name = f"review-{review.incident.reference.lower()}"
    if fmt == "pdf":
        body, kind, name = exports.review_pdf(review, facts, items), "application/pdf", f"{name}.pdf"
    else:
        body, kind, name = (
            exports.review_markdown(review, facts, items).encode(),
            "text/markdown; charset=utf-8",
            f"{name}.md",
        )
    return attachment(body, kind, name)


@login_required
@require_safe
def action_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    _staff(request)
    show = request.GET.get("show", "open")
    show = show if show in selectors.ACTION_FILTERS else "open"
    page = paginate(selectors.action_item_list(actor=request.user, show=show), page=request.GET.get("page"))
    context = {
        "page": page, "show": show, "filters": selectors.ACTION_FILTERS, "today": clock.now().date(),
        "action_statuses": ActionStatus.choices,
    }  # fmt: skip
    return render(request, "reviews/pages/actions.html", context)


# --- the Reports area ---------------------------------------------------------------------------


@login_required
@require_safe
def metrics_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    get = request.GET
    view = get.get("view", "metrics")
    view = view if view in ("metrics", "noise", "load") else "metrics"
    group = get.get("group", "month")
    group = group if group in metrics.GROUPS else "month"
    context: dict[str, Any] = {
        "view": view,
        "group": group,
        "groups": metrics.GROUPS,
        "query": get.urlencode(),
    }
    try:
        period = metrics.period_parse(
            get.get("from", ""),
            get.get("to", ""),
            zone=user.zone,
            today=clock.now().astimezone(user.zone).date(),
        )
        context["period"] = period
        context["last_day"] = (period.end - dt.timedelta(days=1)).date()
        fmt = get.get("format", "")
        if view == "noise":
            noise = metrics.noise_metrics(actor=user, period=period)
            if fmt == "csv":
                return _csv(exports.noise_csv(noise), "noise.csv")
            context["noise"] = noise
        elif view == "load":
            loads = metrics.oncall_load(actor=user, period=period)
            if fmt == "csv":
                return _csv(exports.load_csv(loads), "oncall-load.csv")
            context["loads"] = loads
        else:
            result = metrics.incident_metrics(actor=user, period=period, group=group)
            if fmt == "csv":
                return _csv(exports.metrics_csv(result), f"metrics-{group}.csv")
            context["metrics"] = result
            context["chart_counts"] = exports.bars_svg(
                [(month, float(count)) for month, count in result.months[-12:]], label="Incidents per month"
            )
            context["chart_mttr"] = exports.bars_svg(
                [(row.key, exports.minutes(row.mttr)) for row in result.rows[:12]],
                label=f"Mean time to resolve by {group}, minutes", unit=" min",
            )  # fmt: skip
    except WatchkeeperError as exc:
        context["error"] = exc.message
        return render(request, "reviews/pages/metrics.html", context, status=400)
    return render(request, "reviews/pages/metrics.html", context)


def _csv(text: str, name: str) -> HttpResponse:
    return attachment(text.encode(), "text/csv; charset=utf-8", name)


# --- the portal -------------------------------------------------------------------------------


@login_required
@require_safe
def portal_summary_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, "portal.use")
    page = paginate(selectors.portal_summaries(actor=request.user), page=request.GET.get("page"))
    return render(request, "reviews/pages/portal_list.html", {"page": page})


@login_required
@require_safe
def portal_summary_page(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    review = selectors.portal_summary(actor=request.user, pk=review_id)
    context = {
        "review": review,
        "incident": review.incident,
        "summary_html": markdown_html(review.client_summary),
    }
    return render(request, "reviews/pages/portal_summary.html", context)
