"""Writes for the knowledge base: create, edit (each edit a new version), restore an old version.

Every write checks `knowledge.manage` for the article's client (an MSP-wide article only for
someone who works on every client, ADR 0027), records an audit entry and an `ArticleVersion`
in the same transaction. Markdown is stored as written and sanitised when shown
(`policy.markup.markdown_html`, as incident notes are).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core.errors import Conflict, InvalidInput, NotFound
from watchkeeper.knowledge.models import BODY_MAX, TAGS_MAX, TITLE_MAX, Article, ArticleVersion
from watchkeeper.policy.models import Category
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By, user_of
from watchkeeper.tenancy.models import Client, Service

_TAG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MAX_TAGS = 20


def tags_normalise(tags: Sequence[str] | str) -> str:
    """Tags as stored: lower case, unique, in the order given, " a b " (see `Article.tags`)."""
    items = tags.replace(",", " ").split() if isinstance(tags, str) else [str(t) for t in tags]
    seen: list[str] = []
    for raw in items:
        tag = raw.strip().lower().lstrip("#")
        if not tag:
            continue
        if not _TAG.match(tag):
            raise InvalidInput(
                f"Tag {raw!r}: use letters, digits, '.', '_' or '-' (up to 40 characters).", field="tags"
            )
        if tag not in seen:
            seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags.", field="tags")
    text = f" {' '.join(seen)} " if seen else ""
    if len(text) > TAGS_MAX:
        raise InvalidInput("The tags are too long together.", field="tags")
    return text


def _checked_text(title: str, body: str) -> tuple[str, str]:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("An article needs a title.", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"The title is longer than {TITLE_MAX} characters.", field="title")
    if len(body) > BODY_MAX:
        raise InvalidInput(f"The body is longer than {BODY_MAX:,} characters.", field="body")
    if "\x00" in title or "\x00" in body:
        raise InvalidInput("The text contains a NUL character.", field="body")
    return title, body


def _checked_categories(categories: Sequence[str]) -> list[str]:
    if not categories:
        return []
    known = set(Category.objects.values_list("key", flat=True))
    unknown = sorted(set(categories) - known)
    if unknown:
        raise InvalidInput(f"Unknown categories: {', '.join(unknown)}.", field="categories")
    return list(dict.fromkeys(categories))


def _checked_services(actor: By, client: Client | None, service_ids: Sequence[int]) -> list[Service]:
    """The services an article or runbook links to: the actor's to see, and the row's client's
    own (an MSP-wide row may link services of any client the actor sees)."""
    if not service_ids:
        return []
    qs = Service.objects.filter(pk__in=set(service_ids))
    if client is not None:
        qs = qs.filter(client=client)
    # A named non-person (the demo loader, the CLI) is trusted with every client.
    found = list(qs if isinstance(actor, str) else access.scope(qs, actor))
    if len(found) != len(set(service_ids)):
        raise InvalidInput("Unknown service among the links.", field="service_ids")
    return found


def knowledge_require_write(*, actor: By, client: Client | None) -> None:
    """The check of every knowledge-base and runbook write (NotFound for another tenant's row)."""
    if isinstance(actor, str):  # the demo loader and the CLI act as named non-persons
        return
    access.require_write(actor, "knowledge.manage", client=client)


def _version_add(article: Article, by: By, note: str) -> ArticleVersion:
    user = user_of(by)
    return ArticleVersion.objects.create(
        article=article, number=article.version, title=article.title, body=article.body,
        tags=article.tags, client_visible=article.client_visible, edited_by=user,
        edited_by_label=user.email if user else str(by), note=note[:200],
    )  # fmt: skip


@transaction.atomic
def article_create(
    *,
    actor: By,
    client: Client | None,
    title: str,
    body: str = "",
    tags: Sequence[str] | str = (),
    client_visible: bool = False,
    service_ids: Sequence[int] = (),
    categories: Sequence[str] = (),
    via: str = "console",
) -> Article:
    knowledge_require_write(actor=actor, client=client)
    title, body = _checked_text(title, body)
    if client_visible and client is None:
        raise InvalidInput(
            "Only an article of one client can be shown in that client's portal.", field="client_visible"
        )
    services = _checked_services(actor, client, service_ids)
    article = Article.objects.create(
        client=client, title=title, body=body, tags=tags_normalise(tags), owner=user_of(actor),
        client_visible=client_visible, categories=_checked_categories(categories),
    )  # fmt: skip
    article.services.set(services)
    _version_add(article, actor, "Created")
    audit_record(actor=actor, action="article.create", obj=article, after=snapshot(article), via=via)
    return article


_EDITABLE = ("title", "body", "tags", "client_visible", "categories", "owner")


@transaction.atomic
def article_update(
    *,
    actor: By,
    article: Article,
    base_version: int | None = None,
    note: str = "",
    service_ids: Sequence[int] | None = None,
    via: str = "console",
    **changes: Any,
) -> Article:
    """Apply `changes` as one new version. `base_version` is the version the editor started
    from: when someone saved in between, the edit is refused (409) rather than silently
    overwriting theirs."""
    knowledge_require_write(actor=actor, client=article.client)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if base_version is not None and base_version != locked.version:
        raise Conflict(
            f"Someone saved version {locked.version} since you opened version {base_version}: "
            "reload the article and make your change again."
        )
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}.")
    before = snapshot(locked)
    locked.title, locked.body = _checked_text(
        changes.get("title", locked.title), changes.get("body", locked.body)
    )
    if "tags" in changes:
        locked.tags = tags_normalise(changes["tags"])
    if "client_visible" in changes:
        if changes["client_visible"] and locked.client_id is None:
            raise InvalidInput("An MSP-wide article cannot be shown in a portal.", field="client_visible")
        locked.client_visible = bool(changes["client_visible"])
    if "categories" in changes:
        locked.categories = _checked_categories(changes["categories"])
    if "owner" in changes:
        locked.owner = changes["owner"]
    if service_ids is not None:
        locked.services.set(_checked_services(actor, locked.client, service_ids))
    locked.version += 1
    locked.save(update_fields=locked.touch_fields(*_EDITABLE, "version"))
    _version_add(locked, actor, note or "Edited")
    audit_record(
        actor=actor, action="article.update", obj=locked, before=before, after=snapshot(locked), via=via
    )
    return locked


def article_restore(*, actor: By, article: Article, number: int, via: str = "console") -> Article:
    """Make an old version current again, as a new version (history is never rewritten)."""
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise NotFound(f"No version {number} of this article.")
    return article_update(
        actor=actor, article=article, note=f"Restored version {number}", via=via,
        title=old.title, body=old.body, tags=old.tags, client_visible=old.client_visible,
    )  # fmt: skip


@transaction.atomic
def article_delete(*, actor: By, article: Article, via: str = "console") -> None:
    knowledge_require_write(actor=actor, client=article.client)
    audit_record(actor=actor, action="article.delete", obj=article, before=snapshot(article), via=via)
    article.delete()
