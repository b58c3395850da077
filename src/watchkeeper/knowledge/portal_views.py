"""The portal's knowledge base: a client's own people read their client's articles marked
client-visible, and nothing else (the selectors never load another)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from watchkeeper.core.pagination import paginate
from watchkeeper.knowledge import selectors
from watchkeeper.knowledge.views import _list_page
from watchkeeper.policy.markup import markdown_html
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


@login_required
def portal_article_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_portal_user:
        return redirect("knowledge:list")
    query = request.GET.get("q", "").strip()[:200]
    if query:
        page = _list_page(selectors.article_search(actor=user, query=query), request.GET.get("page"))
    else:
        page = paginate(selectors.article_list(actor=user), page=request.GET.get("page"), size=25)
    return render(request, "knowledge/portal_list.html", {"page": page, "query": query})


@login_required
def portal_article_page(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    article = selectors.article_access(actor=request.user, pk=article_id)
    return render(
        request, "knowledge/portal_detail.html", {"article": article, "body": markdown_html(article.body)}
    )
