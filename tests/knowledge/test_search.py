"""Search: every word must match, prefixes count, title hits come first, and what an actor may
not read never shows (a small fixed corpus, on SQLite FTS5 and PostgreSQL tsvector alike)."""

from __future__ import annotations

from typing import Any

import pytest

from watchkeeper.knowledge.models import Article
from watchkeeper.knowledge.selectors import article_search
from watchkeeper.knowledge.services import article_create, article_update

pytestmark = pytest.mark.django_db

CORPUS = [
    # (title, tags, body)
    ("Printer queue stuck", "printing", "Restart the spooler. Disk space is rarely the cause."),
    ("Disk full on Windows servers", "storage windows", "Clear the WinSxS store and old logs."),
    ("Backup job failed", "backup", "Check the disk on the NAS: a full disk stops the backup."),
    ("VPN tunnel down", "network", "Renew the pre-shared key."),
    ("Low disk space alerts", "storage", "Thresholds and what a full volume means."),
]


@pytest.fixture
def corpus(world: Any) -> dict[str, Article]:
    articles = {}
    for title, tags, body in CORPUS:
        articles[title] = article_create(actor=world.owner, client=None, title=title, tags=tags, body=body)
    return articles


def _titles(found: list[Article]) -> list[str]:
    return [article.title for article in found]


def test_title_hits_come_first(world: Any, corpus: dict[str, Article]) -> None:
    found = _titles(article_search(actor=world.owner, query="disk full"))
    assert found[0] == "Disk full on Windows servers"
    # Every word in the title first; then the others, "full" only in their bodies.
    assert set(found[1:]) == {"Low disk space alerts", "Backup job failed"}


def test_a_word_only_in_the_title_beats_it_only_in_bodies(world: Any, corpus: dict[str, Article]) -> None:
    found = _titles(article_search(actor=world.owner, query="disk"))
    title_hits = [t for t in found if "disk" in t.lower()]
    assert found[: len(title_hits)] == title_hits
    assert {"Backup job failed", "Printer queue stuck"} <= set(found[len(title_hits) :])


def test_every_word_must_match_and_prefixes_count(world: Any, corpus: dict[str, Article]) -> None:
    assert _titles(article_search(actor=world.owner, query="vpn tun")) == ["VPN tunnel down"]
    assert article_search(actor=world.owner, query="vpn printer") == []


def test_tags_are_searched(world: Any, corpus: dict[str, Article]) -> None:
    assert set(_titles(article_search(actor=world.owner, query="storage"))) == {
        "Disk full on Windows servers",
        "Low disk space alerts",
    }


def test_query_syntax_is_plain_words(world: Any, corpus: dict[str, Article]) -> None:
    for query in ['"', "title:", "NEAR(", "a & | ! b", "*", "'); DROP TABLE x; --", "\x00"]:
        article_search(actor=world.owner, query=query)  # no error


def test_edits_are_indexed(world: Any, corpus: dict[str, Article]) -> None:
    article_update(actor=world.owner, article=corpus["VPN tunnel down"], title="IPsec tunnel down")
    assert article_search(actor=world.owner, query="vpn") == []
    assert _titles(article_search(actor=world.owner, query="ipsec")) == ["IPsec tunnel down"]
    corpus["Backup job failed"].delete()
    assert "Backup job failed" not in _titles(article_search(actor=world.owner, query="backup"))


def test_search_is_scoped(world: Any) -> None:
    article_create(
        actor=world.owner, client=world.a.client, title="Alpha firewall reset", client_visible=True
    )
    article_create(actor=world.owner, client=world.a.client, title="Alpha firewall internal")
    article_create(
        actor=world.owner, client=world.b.client, title="Bravo firewall reset", client_visible=True
    )
    article_create(actor=world.owner, client=None, title="Generic firewall reset")
    assert set(_titles(article_search(actor=world.b.technician, query="firewall"))) == {
        "Bravo firewall reset",
        "Generic firewall reset",
    }
    assert _titles(article_search(actor=world.b.client_user, query="firewall")) == ["Bravo firewall reset"]
    assert _titles(article_search(actor=world.a.client_admin, query="firewall")) == ["Alpha firewall reset"]
