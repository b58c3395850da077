"""Who may import, and what the audit log keeps."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy.edits import replace_once
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core.errors import Forbidden
from watchkeeper.policy.services import policy_export_yaml, policy_import_yaml


def test_import_records_before_and_after(world: Any, default_yaml: str) -> None:
    text = replace_once(
        default_yaml, "title: Incident management policy", "title: How Acme IT handles incidents"
    )
    policy_import_yaml(text, actor=world.owner, via="api")
    entry = AuditEntry.objects.get(action="policy.import")
    assert entry.actor == world.owner
    assert (entry.object_type, entry.object_id, entry.via) == ("policy.policy", "1", "api")
    assert entry.object_repr == "How Acme IT handles incidents"
    assert entry.before["title"] == "Incident management policy"
    assert entry.after["title"] == "How Acme IT handles incidents"
    assert entry.after["matrix"]["high"]["high"] == "P1"
    assert ("title", "Incident management policy", "How Acme IT handles incidents") in entry.changes()


def test_technician_may_not_import(world: Any, default_yaml: str) -> None:
    text = replace_once(default_yaml, "owner: Head of Service Delivery", "owner: Me")
    with pytest.raises(Forbidden):
        policy_import_yaml(text, actor=world.a.technician)
    assert policy_export_yaml() == default_yaml
    assert not AuditEntry.objects.filter(action="policy.import").exists()
