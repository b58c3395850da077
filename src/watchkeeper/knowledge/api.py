"""REST adapters for the knowledge base and runbooks. Thin: access, selectors and services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Router, Status

from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.knowledge import runbooks, selectors, services
from watchkeeper.knowledge.models import Article, ArticleVersion, Runbook, RunbookRun
from watchkeeper.knowledge.schemas import (
    ArticleCreateIn,
    ArticleOut,
    ArticleRestoreIn,
    ArticleUpdateIn,
    ArticleVersionOut,
    RunbookCreateIn,
    RunbookOut,
    RunbookRunOut,
    RunbookStartIn,
    RunbookTickIn,
    RunbookUpdateIn,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Client

router = Router(tags=["knowledge base"])


def _client(request: ApiRequest, slug: str | None) -> Client | None:
    return access.client_access(request.auth, slug) if slug else None


@router.get("/articles", response=list[ArticleOut])
@paginated()
def list_articles(
    request: ApiRequest, q: str = "", client: str | None = None, tag: str = ""
) -> QuerySet[Article] | list[Article]:
    """Every article you may read; with `q`, the best matches first (title hits first, at most 200)."""
    narrowed = _client(request, client)
    if q.strip():
        return selectors.article_search(actor=request.auth, query=q, client=narrowed, tag=tag)
    return selectors.article_list(actor=request.auth, client=narrowed, tag=tag)


@router.post("/articles", response={201: ArticleOut})
def create_article(request: ApiRequest, body: ArticleCreateIn) -> Status[Article]:
    data: dict[str, Any] = body.dict()
    slug = data.pop("client")
    client = access.client_reference(request.auth, slug) if slug else None
    article = services.article_create(actor=request.auth, client=client, via="api", **data)
    return Status(201, selectors.article_access(actor=request.auth, pk=article.pk))


@router.get("/articles/{article_id}", response=ArticleOut)
def get_article(request: ApiRequest, article_id: Id) -> Article:
    return selectors.article_access(actor=request.auth, pk=article_id)


@router.patch("/articles/{article_id}", response=ArticleOut)
def update_article(request: ApiRequest, article_id: Id, body: ArticleUpdateIn) -> Article:
    article = selectors.article_access(actor=request.auth, pk=article_id)
    # A field sent as null is left as it is (none of them can be empty).
    data: dict[str, Any] = {k: v for k, v in body.dict(exclude_unset=True).items() if v is not None}
    services.article_update(actor=request.auth, article=article, via="api", **data)
    return selectors.article_access(actor=request.auth, pk=article_id)


@router.delete("/articles/{article_id}", response={204: None})
def delete_article(request: ApiRequest, article_id: Id) -> Status[None]:
    article = selectors.article_access(actor=request.auth, pk=article_id)
    services.article_delete(actor=request.auth, article=article, via="api")
    return Status(204, None)


@router.get("/articles/{article_id}/versions", response=list[ArticleVersionOut])
@paginated()
def list_article_versions(request: ApiRequest, article_id: Id) -> QuerySet[ArticleVersion]:
    article = selectors.article_access(actor=request.auth, pk=article_id)
    access.require(request.auth, "knowledge.view")  # a client's people read the current text only
    return selectors.article_versions(article=article)


@router.post("/articles/{article_id}/restore", response=ArticleOut)
def restore_article(request: ApiRequest, article_id: Id, body: ArticleRestoreIn) -> Article:
    article = selectors.article_access(actor=request.auth, pk=article_id)
    services.article_restore(actor=request.auth, article=article, number=body.version, via="api")
    return selectors.article_access(actor=request.auth, pk=article_id)


@router.get("/runbooks", response=list[RunbookOut], tags=["runbooks"])
@paginated()
def list_runbooks(
    request: ApiRequest, client: str | None = None, review_overdue: bool = False
) -> QuerySet[Runbook]:
    """Runbooks you may read; `review_overdue` lists those past their review date."""
    return runbooks.runbook_list(
        actor=request.auth, client=_client(request, client), review_overdue=review_overdue
    )


@router.post("/runbooks", response={201: RunbookOut}, tags=["runbooks"])
def create_runbook(request: ApiRequest, body: RunbookCreateIn) -> Status[Runbook]:
    data: dict[str, Any] = body.dict()
    slug = data.pop("client")
    client = access.client_reference(request.auth, slug) if slug else None
    runbook = runbooks.runbook_create(actor=request.auth, client=client, via="api", **data)
    return Status(201, runbooks.runbook_access(actor=request.auth, pk=runbook.pk))


@router.get("/runbooks/{runbook_id}", response=RunbookOut, tags=["runbooks"])
def get_runbook(request: ApiRequest, runbook_id: Id) -> Runbook:
    return runbooks.runbook_access(actor=request.auth, pk=runbook_id)


@router.patch("/runbooks/{runbook_id}", response=RunbookOut, tags=["runbooks"])
def update_runbook(request: ApiRequest, runbook_id: Id, body: RunbookUpdateIn) -> Runbook:
    runbook = runbooks.runbook_access(actor=request.auth, pk=runbook_id)
    # null clears the review date; any other field sent as null is left as it is.
    data = {k: v for k, v in body.dict(exclude_unset=True).items() if v is not None or k == "review_due"}
    runbooks.runbook_update(actor=request.auth, runbook=runbook, via="api", **data)
    return runbooks.runbook_access(actor=request.auth, pk=runbook_id)


@router.get("/incidents/{incident_id}/runbooks", response=list[RunbookOut], tags=["runbooks"])
def suggested_runbooks(request: ApiRequest, incident_id: Id) -> list[Runbook]:
    """The runbooks that match the incident (its service, category or alert fields)."""
    incident = incident_access(actor=request.auth, pk=incident_id)
    access.require(request.auth, "knowledge.view")
    ids = [runbook.pk for runbook in runbooks.runbooks_suggested(incident=incident)]
    return list(runbooks.runbook_list(actor=request.auth).filter(pk__in=ids))


@router.get("/incidents/{incident_id}/runbook-runs", response=list[RunbookRunOut], tags=["runbooks"])
def list_runbook_runs(request: ApiRequest, incident_id: Id) -> list[RunbookRun]:
    incident = incident_access(actor=request.auth, pk=incident_id)
    return runbooks.incident_runbook_runs(incident=incident)


@router.post("/incidents/{incident_id}/runbook-runs", response={201: RunbookRunOut}, tags=["runbooks"])
def start_runbook(request: ApiRequest, incident_id: Id, body: RunbookStartIn) -> Status[RunbookRun]:
    incident = incident_access(actor=request.auth, pk=incident_id)
    access.require(request.auth, "incidents.respond", client=incident.client)
    runbook = runbooks.runbook_reference(actor=request.auth, pk=body.runbook_id)
    return Status(201, runbooks.runbook_start(actor=request.auth, incident=incident, runbook=runbook))


@router.post("/runbook-runs/{run_id}/tick", response=RunbookRunOut, tags=["runbooks"])
def tick_runbook_step(request: ApiRequest, run_id: Id, body: RunbookTickIn) -> RunbookRun:
    run = runbooks.runbook_run_access(actor=request.auth, pk=run_id)
    access.require(request.auth, "incidents.respond", client=run.client)
    return runbooks.runbook_tick(actor=request.auth, run=run, step=body.step)


@router.post("/incidents/{incident_id}/save-as-runbook", response={201: RunbookOut}, tags=["runbooks"])
def save_as_runbook(request: ApiRequest, incident_id: Id) -> Status[Runbook]:
    """A draft (inactive) runbook of the incident's notes, to review and activate."""
    incident = incident_access(actor=request.auth, pk=incident_id)
    access.require(request.auth, "incidents.respond", client=incident.client)
    runbook = runbooks.runbook_from_incident(actor=request.auth, incident=incident)
    return Status(201, runbooks.runbook_access(actor=request.auth, pk=runbook.pk))
