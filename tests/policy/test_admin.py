"""Owners and admins edit wording and matrix cells in the admin; every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.policy.models import MatrixCell, Priority, Section
from watchkeeper.policy.selectors import priority_for

MODELS = [
    "policy",
    "section",
    "category",
    "impactlevel",
    "urgencylevel",
    "priority",
    "severity",
    "matrixcell",
]


@pytest.mark.parametrize("model", MODELS)
def test_owner_opens_every_policy_list(world: Any, browser_as: Any, model: str) -> None:
    assert browser_as(world.owner).get(reverse(f"admin:policy_{model}_changelist")).status_code == 200


def test_owner_changes_a_matrix_cell(world: Any, browser_as: Any) -> None:
    cell = MatrixCell.objects.get(impact__key="low", urgency__key="low")
    p4 = Priority.objects.get(key="P4")
    url = reverse("admin:policy_matrixcell_change", args=[cell.pk])
    response = browser_as(world.owner).post(url, {"priority": p4.pk})
    assert response.status_code == 302, response.content
    assert priority_for(impact="low", urgency="low") == "P4"
    entry = AuditEntry.objects.get(action="matrixcell.update")
    assert entry.via == "admin"


def test_section_key_must_be_unique(world: Any, browser_as: Any) -> None:
    url = reverse("admin:policy_section_add")
    data = {"key": "purpose", "name": "Another purpose", "description": "x", "position": 9}
    response = browser_as(world.owner).post(url, data)
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    data["key"] = "on-call"
    assert browser_as(world.owner).post(url, data).status_code == 302
    assert Section.objects.get(key="on-call").policy_id == 1


def test_levels_cannot_be_added_or_deleted_in_the_admin(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    assert http.get(reverse("admin:policy_impactlevel_add")).status_code == 403
    cell = MatrixCell.objects.first()
    assert cell is not None
    assert http.get(reverse("admin:policy_matrixcell_delete", args=[cell.pk])).status_code == 403


def test_manager_may_look_but_not_change(world: Any, browser_as: Any) -> None:
    manager = UserFactory(role=Role.MANAGER)
    cell = MatrixCell.objects.get(impact__key="low", urgency__key="low")
    url = reverse("admin:policy_matrixcell_change", args=[cell.pk])
    http = browser_as(manager)
    assert http.get(url).status_code == 200
    assert http.post(url, {"priority": Priority.objects.get(key="P1").pk}).status_code == 403
    assert priority_for(impact="low", urgency="low") == "P5"
