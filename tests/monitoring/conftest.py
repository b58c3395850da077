"""Fixtures of the monitoring tests that need committed rows (the runner's own connection)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import connection

from watchkeeper.policy.documents import DEFAULT_POLICY_PATH
from watchkeeper.policy.models import Policy
from watchkeeper.policy.storage import policy_document_store
from watchkeeper.policy.yamlio import policy_yaml_parse


@pytest.fixture
def committed(transactional_db: None) -> Iterator[None]:
    """A transactional test with the default policy; its audit entries are removed before the
    flush (SQLite's append-only trigger refuses the flush's DELETE), as tests/browser does."""
    if not Policy.objects.exists():
        policy_document_store(policy_yaml_parse(DEFAULT_POLICY_PATH.read_text(encoding="utf-8")))
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
