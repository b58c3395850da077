"""Console pages of the knowledge base and runbooks (MSP staff). Thin adapters: selectors read
what the access module allows, services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from watchkeeper.core.errors import InvalidInput, WatchkeeperError
from watchkeeper.core.pagination import Page, paginate
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.knowledge import runbooks, selectors, services
from watchkeeper.knowledge.forms import ArticleForm, RunbookForm, StartForm, TickForm, runbook_initial
from watchkeeper.knowledge.models import Article
from watchkeeper.policy.markup import markdown_html
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

PAGE_SIZE = 25


def _list_page(items: list[Any], page: str | None) -> Page:
    try:
        number = max(1, int(page or 1))
    except ValueError:
        number = 1
    last = max(1, -(-len(items) // PAGE_SIZE))
    number = min(number, last)
    return Page(items=items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE], number=number, size=PAGE_SIZE,
                count=len(items))  # fmt: skip


@login_required
def article_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, "knowledge.view")
    query, tag = request.GET.get("q", "").strip()[:200], request.GET.get("tag", "").strip()[:40]
    slug = request.GET.get("client", "").strip()[:40]
    client = access.client_access(user, slug) if slug else None
    if query:
        page = _list_page(
            selectors.article_search(actor=user, query=query, client=client, tag=tag), request.GET.get("page")
        )
    else:
        page = paginate(
            selectors.article_list(actor=user, client=client, tag=tag),
            page=request.GET.get("page"),
            size=PAGE_SIZE,
        )
    context = {
        "page": page, "query": query, "tag": tag, "client": client,
        "clients": access.visible_clients(user).only("slug", "name"),
        "can_write": access.can(user, "knowledge.manage"),
    }  # fmt: skip
    return render(request, "knowledge/list.html", context)


def _form_page(
    request: AuthenticatedHttpRequest,
    form: ArticleForm,
    article: Article | None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "article": article, "error": error,
               "clients": access.visible_clients(request.user).only("slug", "name")}  # fmt: skip
    return render(request, "knowledge/edit.html", context, status=status)


@login_required
def article_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, "knowledge.manage")
    if request.method != "POST":
        initial = {"client": request.GET.get("client", "")[:40]}
        incident_id = _int(request.GET.get("incident"))
        if incident_id is not None:  # "update the KB" from an incident: its title and notes
            incident = incident_access(actor=user, pk=incident_id)
            initial = runbooks.article_draft_from_incident(incident=incident)
        return _form_page(request, ArticleForm(initial=initial), None)
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, "Check the form.", 400)
    data = form.cleaned_data
    try:
        client = access.client_reference(user, data["client"]) if data["client"] else None
        article = services.article_create(
            actor=user, client=client, title=data["title"], body=data["body"], tags=data["tags"],
            client_visible=data["client_visible"],
        )  # fmt: skip
    except WatchkeeperError as exc:
        return _form_page(request, form, None, exc.message, exc.status)
    messages.success(request, "Article created.")
    return redirect("knowledge:detail", article_id=article.pk)


@login_required
def article_page(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    user = request.user
    article = selectors.article_access(actor=user, pk=article_id)
    if user.is_portal_user:
        return redirect("portal_kb:detail", article_id=article.pk)
    context = {
        "article": article,
        "body": markdown_html(article.body),
        "can_write": access.can_write(user, "knowledge.manage", client=article.client),
    }
    return render(request, "knowledge/detail.html", context)


@login_required
def article_edit(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    user = request.user
    article = selectors.article_access(actor=user, pk=article_id)
    access.require_write(user, "knowledge.manage", client=article.client)
    if request.method != "POST":
        initial = {
            "title": article.title, "body": article.body, "tags": " ".join(article.tag_list),
            "client": article.client.slug if article.client else "", "client_visible": article.client_visible,
            "base_version": article.version,
        }  # fmt: skip
        return _form_page(request, ArticleForm(initial=initial), article)
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, article, "Check the form.", 400)
    data = form.cleaned_data
    try:
        services.article_update(
            actor=user, article=article, base_version=data["base_version"], note=data["note"],
            title=data["title"], body=data["body"], tags=data["tags"], client_visible=data["client_visible"],
        )  # fmt: skip
    except WatchkeeperError as exc:
        return _form_page(request, form, article, exc.message, exc.status)
    messages.success(request, "Saved as a new version.")
    return redirect("knowledge:detail", article_id=article.pk)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise InvalidInput("Versions are numbers.") from None


@login_required
def article_history(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    """Every version, and the difference between two (`?old=&new=`, default: the last change)."""
    user = request.user
    article = selectors.article_access(actor=user, pk=article_id)
    access.require(user, "knowledge.view")
    old, new = _int(request.GET.get("old")), _int(request.GET.get("new"))
    if new is None:
        new = article.version
    if old is None:
        old = max(1, new - 1)
    context = {
        "article": article,
        "page": paginate(selectors.article_versions(article=article), page=request.GET.get("page")),
        "diff": selectors.article_diff(article=article, old=old, new=new) if old != new else None,
        "can_write": access.can_write(user, "knowledge.manage", client=article.client),
    }
    return render(request, "knowledge/history.html", context)


@login_required
@require_POST
def article_restore(request: AuthenticatedHttpRequest, article_id: int, number: int) -> HttpResponse:
    user = request.user
    article = selectors.article_access(actor=user, pk=article_id)
    services.article_restore(actor=user, article=article, number=number)
    messages.success(request, f"Version {number} restored as the newest version.")
    return redirect("knowledge:detail", article_id=article.pk)


@login_required
def runbook_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, "knowledge.view")
    overdue = request.GET.get("review") == "overdue"
    page = paginate(runbooks.runbook_list(actor=user, review_overdue=overdue), page=request.GET.get("page"))
    return render(request, "knowledge/runbooks.html", {"page": page, "overdue": overdue})


@login_required
def runbook_page(request: AuthenticatedHttpRequest, runbook_id: int) -> HttpResponse:
    user = request.user
    runbook = runbooks.runbook_access(actor=user, pk=runbook_id)
    return render(request, "knowledge/runbook.html", {"runbook": runbook})


@login_required
@require_POST
def runbook_start(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    user = request.user
    incident = incident_access(actor=user, pk=incident_id)
    access.require(user, "incidents.respond", client=incident.client)
    form = StartForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Choose a runbook.", field="runbook")
    runbook = runbooks.runbook_reference(actor=user, pk=form.cleaned_data["runbook"])
    run = runbooks.runbook_start(actor=user, incident=incident, runbook=runbook)
    messages.success(request, f"Runbook “{run.title}” started.")
    return redirect("incidents:detail", incident_id=incident.pk)


@login_required
@require_POST
def runbook_tick(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    user = request.user
    run = runbooks.runbook_run_access(actor=user, pk=run_id)
    access.require(user, "incidents.respond", client=run.client)
    form = TickForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Choose a step.", field="step")
    runbooks.runbook_tick(actor=user, run=run, step=form.cleaned_data["step"])
    return redirect("incidents:detail", incident_id=run.incident_id)


@login_required
@require_POST
def runbook_from_incident(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    """ "Save as runbook": the incident's notes become a draft runbook to review."""
    user = request.user
    incident = incident_access(actor=user, pk=incident_id)
    access.require(user, "incidents.respond", client=incident.client)
    runbook = runbooks.runbook_from_incident(actor=user, incident=incident)
    messages.success(request, "Draft runbook saved: review its steps, then activate it.")
    return redirect("knowledge:runbook", runbook_id=runbook.pk)


def _runbook_form_page(
    request: AuthenticatedHttpRequest, form: RunbookForm, runbook: Any, error: str = "", status: int = 200
) -> HttpResponse:
    context = {"form": form, "runbook": runbook, "error": error,
               "clients": access.visible_clients(request.user).only("slug", "name")}  # fmt: skip
    return render(request, "knowledge/runbook_edit.html", context, status=status)


@login_required
def runbook_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, "knowledge.manage")
    if request.method != "POST":
        return _runbook_form_page(request, RunbookForm(initial={"is_active": True}), None)
    form = RunbookForm(request.POST)
    if not form.is_valid():
        return _runbook_form_page(request, form, None, "Check the form.", 400)
    data = form.cleaned_data
    try:
        client = access.client_reference(user, data.pop("client")) if data["client"] else None
        data.pop("client", None)
        runbook = runbooks.runbook_create(actor=user, client=client, **data)
    except WatchkeeperError as exc:
        return _runbook_form_page(request, form, None, exc.message, exc.status)
    messages.success(request, "Runbook created.")
    return redirect("knowledge:runbook", runbook_id=runbook.pk)


@login_required
def runbook_edit(request: AuthenticatedHttpRequest, runbook_id: int) -> HttpResponse:
    user = request.user
    runbook = runbooks.runbook_access(actor=user, pk=runbook_id)
    access.require_write(user, "knowledge.manage", client=runbook.client)
    if request.method != "POST":
        return _runbook_form_page(request, RunbookForm(initial=runbook_initial(runbook)), runbook)
    form = RunbookForm(request.POST)
    if not form.is_valid():
        return _runbook_form_page(request, form, runbook, "Check the form.", 400)
    data = form.cleaned_data
    data.pop("client", None)  # a runbook stays with its client
    try:
        runbooks.runbook_update(actor=user, runbook=runbook, **data)
    except WatchkeeperError as exc:
        return _runbook_form_page(request, form, runbook, exc.message, exc.status)
    messages.success(request, "Runbook saved.")
    return redirect("knowledge:runbook", runbook_id=runbook.pk)
