"""The web side's group commit statement: every column of the inbox, as the writer thread sends it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, connections

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import InboxEvent
from watchkeeper.alerts.services.intake import _Row, insert_statement

pytestmark = pytest.mark.django_db


def test_group_commit_statement_stores_every_column() -> None:
    # The statement the writer thread runs, run here: the thread's own connection would outlive
    # the test database.
    integration = IntegrationFactory(type="opsgenie")
    now = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    rows = [
        _Row(integration.pk, "opsgenie", '{"message": "x"}', "k", "r" * 36, now),
        _Row(integration.pk, "alertmanager", '{"a": [1, 2]}', "", "", now),
    ]
    sql, params = insert_statement(connections["default"], rows)
    raw = connection.connection  # the driver's connection, inside the test's transaction
    cursor = raw.cursor()
    cursor.execute(sql, params)
    cursor.close()
    stored = list(
        InboxEvent.objects.order_by("id").values(
            "kind", "payload", "dedup_key", "request_id", "status", "received_at", "attempts", "error"
        )
    )
    assert stored == [
        {"kind": "opsgenie", "payload": {"message": "x"}, "dedup_key": "k", "request_id": "r" * 36,
         "status": "pending", "received_at": now, "attempts": 0, "error": ""},
        {"kind": "alertmanager", "payload": {"a": [1, 2]}, "dedup_key": "", "request_id": "",
         "status": "pending", "received_at": now, "attempts": 0, "error": ""},
    ]  # fmt: skip
