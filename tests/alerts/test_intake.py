"""The web side's group commit: rows written by the writer thread, outside any transaction."""

from __future__ import annotations

import pytest

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import InboxEvent
from watchkeeper.alerts.services.intake import inbox_accept, inbox_accept_many


@pytest.mark.django_db(transaction=True)
def test_group_commit_stores_every_column() -> None:
    integration = IntegrationFactory(type="opsgenie")
    inbox_accept(
        integration=integration, kind="opsgenie", payload={"message": "x"}, dedup_key="k", request_id="r" * 36
    )
    inbox_accept_many(integration=integration, kind="alertmanager", payloads=[{"a": 1}, {"b": 2}])
    rows = list(
        InboxEvent.objects.order_by("id").values("kind", "payload", "dedup_key", "request_id", "status")
    )
    assert rows == [
        {"kind": "opsgenie", "payload": {"message": "x"}, "dedup_key": "k", "request_id": "r" * 36,
         "status": "pending"},
        {"kind": "alertmanager", "payload": {"a": 1}, "dedup_key": "", "request_id": "", "status": "pending"},
        {"kind": "alertmanager", "payload": {"b": 2}, "dedup_key": "", "request_id": "", "status": "pending"},
    ]  # fmt: skip
