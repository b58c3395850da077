"""Reads for the knowledge base: what an actor may read, full-text search with ranking, versions
and their differences.

Who reads what (ADR 0042): MSP staff read MSP-wide articles and those of the clients they may
see (`access.scope_shared`); a client's own people read only their client's articles marked
client-visible, never an MSP-wide or internal one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from watchkeeper.core.errors import NotFound
from watchkeeper.knowledge.models import Article, ArticleVersion
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Service

# Search answers the best matches only: nobody pages through more, and the cap bounds the work.
SEARCH_LIMIT = 200
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def article_scope(*, actor: access.ActorLike) -> QuerySet[Article]:
    """Every article the actor may read."""
    if access.can(actor, "knowledge.view"):
        return access.scope_shared(Article.objects.all(), actor)
    clients = access.scope_for(Client.objects.all(), actor, "portal.knowledge", field="pk")
    return Article.objects.filter(client__in=clients.values("pk"), client_visible=True)


def _listed(qs: QuerySet[Article]) -> QuerySet[Article]:
    return qs.select_related("client", "owner").prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id", "name", "client_id"))
    )


def article_list(
    *, actor: access.ActorLike, client: Client | None = None, tag: str = "", shared: bool | None = None
) -> QuerySet[Article]:
    """The actor's articles, by title; `client` narrows to one client's (plus, with `shared`
    not False, the MSP-wide ones that serve every client)."""
    qs = article_scope(actor=actor)
    if client is not None:
        own = Q(client=client)
        qs = qs.filter(own if shared is False else own | Q(client__isnull=True))
    elif shared is True:
        qs = qs.filter(client__isnull=True)
    tag = tag.strip().lower()
    if tag:
        qs = qs.filter(tags__contains=f" {tag} ")
    return _listed(qs).order_by("title", "id")


def search_terms(query: str) -> list[str]:
    """The words of a query, as the index sees them: letters and digits only, so no query
    syntax of either database reaches it."""
    return [word.lower() for word in _WORD.findall(query)][:MAX_TERMS]


def article_search(
    *, actor: access.ActorLike, query: str, client: Client | None = None, tag: str = ""
) -> list[Article]:
    """The articles matching every word of `query` (prefixes too), best first: articles whose
    title has every word before the others, then by the database's relevance (title weighed
    above tags above the body). At most SEARCH_LIMIT."""
    terms = search_terms(query)
    if not terms:
        return []
    scoped = article_list(actor=actor, client=client, tag=tag).order_by()
    inner_sql, inner_params = scoped.values("id").query.sql_with_params()
    if connection.vendor == "postgresql":
        ids = _search_postgres(terms, inner_sql, list(inner_params))
    else:
        ids = _search_sqlite(terms, inner_sql, list(inner_params))
    found = {article.pk: article for article in _listed(Article.objects.filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found]


def _search_sqlite(terms: list[str], inner_sql: str, inner_params: list[Any]) -> list[int]:
    """The matches are found by FTS5 first (materialised), then narrowed to what the actor may
    read: handed the scoping `rowid IN (…)` itself, SQLite would drive the search by that list
    and run the MATCH once per visible article (seconds at 10,000 articles, bench/kb)."""
    every = " AND ".join(f'"{term}"*' for term in terms)
    in_title = " AND ".join(f'title : "{term}"*' for term in terms)
    # Only the scoped queryset's own SQL is interpolated; the query's words are parameters.
    sql = (
        "WITH hits AS MATERIALIZED (SELECT rowid AS id, "  # noqa: S608
        "bm25(knowledge_article_fts, 10.0, 4.0, 1.0) AS rank "
        "FROM knowledge_article_fts WHERE knowledge_article_fts MATCH %s), "
        "titles AS MATERIALIZED (SELECT rowid AS id FROM knowledge_article_fts "
        "WHERE knowledge_article_fts MATCH %s) "
        f"SELECT hits.id FROM hits WHERE hits.id IN ({inner_sql}) "
        "ORDER BY (hits.id IN (SELECT id FROM titles)) DESC, hits.rank, hits.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [every, in_title, *inner_params, SEARCH_LIMIT])
        return [row[0] for row in cursor.fetchall()]


def _search_postgres(terms: list[str], inner_sql: str, inner_params: list[Any]) -> list[int]:
    """Matched on title, tags and body (`search`, GIN); ranked on title and tags only
    (`search_head`): ranking the full vectors reads every matching body, 150 ms for a common
    word over 10,000 articles against 15–85 ms (bench/kb). Body-only matches come newest first."""
    every = " & ".join(f"{term}:*" for term in terms)
    in_title = " & ".join(f"{term}:*A" for term in terms)
    sql = (
        "SELECT a.id FROM knowledge_article a, to_tsquery('english', %s) q, "  # noqa: S608 - as above
        "to_tsquery('english', %s) t "
        f"WHERE a.search @@ q AND a.id IN ({inner_sql}) "
        "ORDER BY (a.search_head @@ t) DESC, ts_rank(a.search_head, q) DESC, a.updated_at DESC, a.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [every, in_title, *inner_params, SEARCH_LIMIT])
        return [row[0] for row in cursor.fetchall()]


def article_access(*, actor: access.ActorLike, pk: int) -> Article:
    """One article the actor may read, or NotFound (another tenant's, or internal for a client)."""
    article = _listed(article_scope(actor=actor)).filter(pk=pk).first()
    if article is None:
        raise NotFound(f"No article {pk}.")
    return article


def article_versions(*, article: Article) -> QuerySet[ArticleVersion]:
    return ArticleVersion.objects.filter(article=article).select_related("edited_by").order_by("-number")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    text: str


@dataclass(frozen=True)
class VersionDiff:
    old: ArticleVersion
    new: ArticleVersion
    title_changed: bool
    lines: list[DiffLine]


def article_diff(*, article: Article, old: int, new: int) -> VersionDiff:
    """What changed between two versions, line by line, with three lines of context."""
    versions = {v.number: v for v in ArticleVersion.objects.filter(article=article, number__in=[old, new])}
    if old not in versions or new not in versions:
        raise NotFound("No such version of this article.")
    before, after = versions[old], versions[new]
    lines: list[DiffLine] = []
    for line in difflib.unified_diff(before.body.splitlines(), after.body.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("gap", line))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return VersionDiff(old=before, new=after, title_changed=before.title != after.title, lines=lines)
