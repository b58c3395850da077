"""The web side's group commit statement: every column of the inbox, as the writer thread sends it."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import InboxEvent
from watchkeeper.alerts.services.intake import _insert_statement

pytestmark = pytest.mark.django_db


def test_group_commit_statement_stores_every_column() -> None:
    # The statement the writer thread runs, run here: the thread's own connection would outlive
    # the test database.
    integration = IntegrationFactory(type="opsgenie")
    rows = [
        InboxEvent(integration=integration, kind="opsgenie", payload={"message": "x"}, dedup_key="k",
                   request_id="r" * 36),
        InboxEvent(integration=integration, kind="alertmanager", payload={"a": [1, 2]}),
    ]  # fmt: skip
    sql, params = _insert_statement(rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    stored = list(
        InboxEvent.objects.order_by("id").values("kind", "payload", "dedup_key", "request_id", "status")
    )
    assert stored == [
        {"kind": "opsgenie", "payload": {"message": "x"}, "dedup_key": "k", "request_id": "r" * 36,
         "status": "pending"},
        {"kind": "alertmanager", "payload": {"a": [1, 2]}, "dedup_key": "", "request_id": "",
         "status": "pending"},
    ]  # fmt: skip
