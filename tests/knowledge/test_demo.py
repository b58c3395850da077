"""The demo's knowledge base: a dozen articles (some in the portal), runbooks for its services
and alerts (one past its review date), created once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from watchkeeper.demo.knowledge import ARTICLES, RUNBOOKS, knowledge_load
from watchkeeper.demo.load import demo_load
from watchkeeper.knowledge.models import Article, ArticleVersion, Runbook
from watchkeeper.knowledge.runbooks import runbook_list
from watchkeeper.knowledge.selectors import article_search

pytestmark = pytest.mark.django_db


def test_demo_knowledge(settings: Any, tmp_path: Any, world: Any) -> None:
    settings.DATA_DIR = tmp_path
    demo_load()
    assert Article.objects.count() == len(ARTICLES) >= 12
    assert Runbook.objects.count() == len(RUNBOOKS)
    assert ArticleVersion.objects.filter(number=2).exists()  # a history with a diff
    assert article_search(actor=world.owner, query="disk full")[0].title == "Disk full on a Windows server"
    assert list(runbook_list(actor=world.owner, review_overdue=True))
    assert Article.objects.filter(client_visible=True).count() >= 3
    created: Counter[str] = Counter()
    knowledge_load(created=created)
    assert not +created  # a second load adds nothing
