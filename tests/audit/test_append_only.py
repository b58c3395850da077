"""The audit log cannot be changed, by the ORM or by SQL around it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from watchkeeper.audit.models import AuditEntry
from watchkeeper.audit.selectors import audit_list
from watchkeeper.audit.services import audit_record
from watchkeeper.core.errors import Forbidden
from watchkeeper.tenancy.services import client_update

pytestmark = pytest.mark.django_db


def test_changes_record_who_what_when_before_after(world: Any) -> None:
    client_update(actor=world.owner, client=world.a.client, seats=250)
    entry = AuditEntry.objects.get(action="client.update")
    assert entry.actor == world.owner
    assert entry.client_id == world.a.client.pk
    assert entry.before["seats"] == 0
    assert entry.after["seats"] == 250
    assert ("seats", 0, 250) in entry.changes()


def test_orm_refuses_update_and_delete(world: Any) -> None:
    entry = audit_record(actor="cli", action="test.thing", object_type="x", object_id="1")
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_database_refuses_update_and_delete(world: Any) -> None:
    audit_record(actor="cli", action="test.thing", object_type="x", object_id="1")
    for sql in ("UPDATE audit_auditentry SET action = 'forged'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().update(action="forged")
    assert not AuditEntry.objects.filter(action="forged").exists()


def test_secrets_never_enter_the_log(world: Any, api_as: Any) -> None:
    api_as(world.owner)
    entry = AuditEntry.objects.get(action="token.create")
    assert "digest" not in entry.after


def test_who_may_read_the_log(world: Any) -> None:
    client_update(actor=world.owner, client=world.a.client, seats=3)
    assert audit_list(actor=world.owner).exists()
    with pytest.raises(Forbidden):
        audit_list(actor=world.a.technician)
    with pytest.raises(Forbidden):
        audit_list(actor=world.a.client_admin)
