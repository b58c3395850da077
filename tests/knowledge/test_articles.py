"""Articles: versions on every edit, a diff between two, restore as a new version, refusal of a
stale edit, who may write what, and Markdown sanitised when shown."""

from __future__ import annotations

from typing import Any

import pytest

from watchkeeper.audit.models import AuditEntry
from watchkeeper.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from watchkeeper.knowledge.models import Article
from watchkeeper.knowledge.selectors import article_access, article_diff, article_list, article_versions
from watchkeeper.knowledge.services import article_create, article_restore, article_update, tags_normalise

pytestmark = pytest.mark.django_db


def test_each_edit_is_a_version_and_restore_adds_one(world: Any) -> None:
    article = article_create(actor=world.owner, client=world.a.client, title="Reset MFA", body="one\ntwo\n")
    article = article_update(actor=world.a.technician, article=article, body="one\n2\nthree\n", note="Fix")
    assert article.version == 2
    diff = article_diff(article=article, old=1, new=2)
    assert [(line.kind, line.text) for line in diff.lines if line.kind != "gap"] == [
        ("same", "one"), ("removed", "two"), ("added", "2"), ("added", "three"),
    ]  # fmt: skip
    article = article_restore(actor=world.owner, article=article, number=1)
    assert (article.version, article.body) == (3, "one\ntwo\n")
    assert [v.note for v in article_versions(article=article)] == ["Restored version 1", "Fix", "Created"]
    assert AuditEntry.objects.filter(object_type="knowledge.article", object_id=str(article.pk)).count() == 3


def test_a_stale_edit_is_refused(world: Any) -> None:
    article = article_create(actor=world.owner, client=None, title="Printers")
    article_update(actor=world.owner, article=article, body="first", base_version=1)
    with pytest.raises(Conflict):
        article_update(actor=world.owner, article=article, body="second", base_version=1)


def test_tags_are_normalised_and_checked() -> None:
    assert tags_normalise("Backup, #Windows backup") == " backup windows "
    assert tags_normalise([]) == ""
    with pytest.raises(InvalidInput):
        tags_normalise(["no spaces please!"])


def test_who_may_write(world: Any) -> None:
    with pytest.raises(Forbidden):  # a technician restricted to clients may not change MSP-wide rows
        article_create(actor=world.a.technician, client=None, title="Everyone's")
    with pytest.raises(NotFound):
        article_create(actor=world.b.technician, client=world.a.client, title="Not mine")
    with pytest.raises(Forbidden):
        article_create(actor=world.a.client_admin, client=world.a.client, title="Portal users read only")
    with pytest.raises(InvalidInput):
        article_create(actor=world.owner, client=None, title="Shown to all", client_visible=True)
    with pytest.raises(InvalidInput):
        article_create(actor=world.owner, client=world.a.client, title="x", service_ids=[world.b.service.pk])


def test_client_people_read_only_their_client_visible_articles(world: Any) -> None:
    shown = article_create(
        actor=world.owner, client=world.a.client, title="VPN on your laptop", client_visible=True
    )
    internal = article_create(
        actor=world.owner, client=world.a.client, title="Firewall admin password rotation"
    )
    shared = article_create(actor=world.owner, client=None, title="MSP-wide printer guide")
    other = article_create(actor=world.owner, client=world.b.client, title="Bravo VPN", client_visible=True)
    assert list(article_list(actor=world.a.client_user)) == [shown]
    for hidden in (internal, shared, other):
        with pytest.raises(NotFound):
            article_access(actor=world.a.client_user, pk=hidden.pk)
    assert set(article_list(actor=world.a.technician)) == {shown, internal, shared}


def test_markdown_is_sanitised_when_shown(world: Any, browser_as: Any) -> None:
    article = article_create(
        actor=world.owner, client=world.a.client, client_visible=True, title="Script",
        body="# Steps\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**",
    )  # fmt: skip
    for user, url in (
        (world.owner, f"/kb/{article.pk}/"),
        (world.a.client_user, f"/portal/kb/{article.pk}/"),
    ):
        body = browser_as(user).get(url).content.decode()
        assert "<strong>bold</strong>" in body
        assert "<script>alert(1)" not in body
        assert 'href="javascript' not in body  # the link is refused: it stays plain text


def test_console_pages(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    new = {"title": "Disk full on file server", "body": "Clear the shadow copies", "tags": "storage"}
    response = http.post("/kb/new", {**new, "client": world.a.client.slug})
    assert response.status_code == 302
    article = Article.objects.get(title="Disk full on file server")
    assert http.get("/kb/?q=disk").content.decode().count("Disk full on file server") == 1
    assert http.get("/kb/?tag=storage").status_code == 200
    edit = {
        "title": "Disk full on the file server",
        "body": "Clear old shadow copies",
        "base_version": 1,
        "note": "Wording",
    }
    assert http.post(f"/kb/{article.pk}/edit", edit).status_code == 302
    assert http.post(f"/kb/{article.pk}/edit", edit).status_code == 409  # the same base version again
    page = http.get(f"/kb/{article.pk}/history").content.decode()
    assert "<del>- Clear the shadow copies</del>" in page and "<ins>+ Clear old shadow copies</ins>" in page
    assert http.get(f"/kb/{article.pk}/history?old=x").status_code == 400
    assert http.get(f"/kb/{article.pk}/history?old=1&new=99").status_code == 404
    assert http.post(f"/kb/{article.pk}/restore/1").status_code == 302
    assert Article.objects.get(pk=article.pk).title == "Disk full on file server"
    assert http.post("/kb/new", {"title": ""}).status_code == 400


def test_api(world: Any, api_as: Any) -> None:
    api = api_as(world.owner, scopes=["read", "write"])
    new = {"title": "Outlook profile reset", "body": "Delete the OST", "tags": ["outlook", "email"]}
    created = api.post("/api/v1/articles", {**new, "client": world.a.client.slug})
    assert created.status_code == 201, created.content
    article_id = created.json()["id"]
    assert created.json()["tags"] == ["outlook", "email"]
    assert api.get("/api/v1/articles", q="outlook").json()["items"][0]["id"] == article_id
    assert api.get("/api/v1/articles", q="outlook", client=world.b.client.slug).json()["count"] == 0
    changed = api.patch(f"/api/v1/articles/{article_id}", {"body": "Rename the OST", "base_version": 1})
    assert changed.json()["version"] == 2
    assert api.patch(f"/api/v1/articles/{article_id}", {"body": "x", "base_version": 1}).status_code == 409
    assert api.get(f"/api/v1/articles/{article_id}/versions").json()["count"] == 2
    restored = api.post(f"/api/v1/articles/{article_id}/restore", {"version": 1})
    assert restored.json()["body"] == "Delete the OST"
    assert api.post(f"/api/v1/articles/{article_id}/restore", {"version": 9}).status_code == 404
    assert api.post("/api/v1/articles", {"title": "x", "tags": ["bad tag!"]}).status_code == 400
    reader = api_as(world.a.client_user)
    assert reader.get(f"/api/v1/articles/{article_id}").status_code == 404  # not client-visible
    assert reader.get(f"/api/v1/articles/{article_id}/versions").status_code == 404


def test_api_list_has_no_n_plus_one(world: Any, api_as: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(30):
        article = article_create(
            actor=world.owner, client=world.a.client, title=f"Article {number}", tags="x y"
        )
        article.services.add(world.a.service)
    api = api_as(world.owner)
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/articles").json()["count"] == 30
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/articles", q="article").json()["count"] == 30


def test_console_lists_have_no_n_plus_one(world: Any, browser_as: Any) -> None:
    """The same number of queries for 2 and for 12 articles and runbooks on every list page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from watchkeeper.knowledge.runbooks import runbook_create

    http = browser_as(world.owner)
    urls = ("/kb/", "/kb/?q=article", "/kb/runbooks/", f"/incidents/{world.a.incident.pk}/")
    counts = []
    for size in (2, 12):
        while Article.objects.count() < size:
            number = Article.objects.count()
            article = article_create(
                actor=world.owner, client=world.a.client, title=f"Article {number}", tags="a"
            )
            article.services.add(world.a.service)
            runbook_create(actor=world.owner, client=world.a.client, title=f"Runbook {number}",
                           steps=[{"text": "x"}], service_ids=[world.a.service.pk])  # fmt: skip
        http.get("/kb/")  # the session's first reads
        measured = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200, url
            measured.append(len(queries))
        counts.append(measured)
    assert counts[0] == counts[1], dict(zip(urls, zip(*counts, strict=True), strict=True))
