"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

They skip, saying why, only when chromium or the playwright package is absent. Screenshots of
the main pages are written to var/test/screenshots/ (test artifacts, not committed).
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from watchkeeper.policy.documents import DEFAULT_POLICY_PATH
from watchkeeper.policy.models import Policy
from watchkeeper.policy.storage import policy_document_store
from watchkeeper.policy.yamlio import policy_yaml_parse

CHROMIUM = os.environ.get("WATCHKEEPER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None

if sync_playwright is None:
    pytest.skip("the playwright package is not installed (pip install -e '.[dev]')", allow_module_level=True)
if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One chromium per test module. Playwright's sync API runs an event loop in this thread;
    the tests' own ORM calls are synchronous and safe, so Django's async guard is relaxed while
    the browser runs, and only then: module scope ends it before any other module's test (a
    subprocess inheriting the variable would fail `check --deploy`)."""
    assert sync_playwright is not None
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def policy(transactional_db: None) -> None:
    """The default policy: a transactional test flushes what the data migration loaded."""
    if not Policy.objects.exists():
        policy_document_store(policy_yaml_parse(DEFAULT_POLICY_PATH.read_text(encoding="utf-8")))


@pytest.fixture
def audit_cleared(transactional_db: None) -> Iterator[None]:
    """Audit entries written through the browser, removed before the test database is
    flushed: SQLite's flush DELETEs, which the append-only trigger refuses (PostgreSQL's
    TRUNCATE is allowed). The trigger is put back at once."""
    yield
    if connection.vendor != "sqlite":
        return
    triggers = importlib.import_module("watchkeeper.audit.migrations.0002_append_only")
    with connection.cursor() as cursor:
        for sql in triggers.SQLITE_REVERSE:
            cursor.execute(sql)
        cursor.execute("DELETE FROM audit_auditentry")
        for sql in triggers.SQLITE:
            cursor.execute(sql)


@pytest.fixture
def page(chromium: Any, live_server: Any, policy: None, audit_cleared: None) -> Iterator[Any]:
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
