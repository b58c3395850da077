"""The access module owns every "who may see or work on this client" decision (ADR 0002, 0023).

The role sets of accounts.models are the raw material of those decisions: a module that reads
them decides something about access itself. This test parses the source and lists every module
outside the allow-list that uses one, so a new hand-written check fails here, not in review.
The access functions that replaced the old hand-written checks are tested below.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.tenancy.factories import ClientFactory
from watchkeeper.accounts.models import Role
from watchkeeper.tenancy import access

SOURCE = Path(__file__).resolve().parents[2] / "src" / "watchkeeper"
ROLE_SETS = frozenset({"MSP_ROLES", "MSP_ADMIN_ROLES", "CLIENT_ROLES"})

# Where the role sets may appear: their definition and the accounts app that manages roles
# (creating users, listing colleagues), and the one access module.
ALLOWED = frozenset({"accounts", "tenancy/access.py"})

# Code that another branch of issue 11 moves (the incident page's staff lists go to the console
# layer: `web/console/`, `paging.selectors.incident_panel`). When it lands, those lists call
# `access.staff_for_client(client)` and these entries go.
PENDING: frozenset[str] = frozenset()


def _uses(source: str, label: str) -> list[str]:
    """`label:line name` for each use of a role set in the module `source`, in line order."""
    found = []
    for node in ast.walk(ast.parse(source, filename=label)):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        else:
            continue
        found += [(node.lineno, f"{label}:{node.lineno} {name}") for name in names if name in ROLE_SETS]
    return [use for _, use in sorted(found)]


def _allowed(relative: str) -> bool:
    if "/migrations/" in f"/{relative}":
        return True
    return any(relative == entry or relative.startswith(f"{entry}/") for entry in ALLOWED | PENDING)


def test_role_sets_are_used_only_by_the_access_module_and_accounts() -> None:
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if not _allowed(relative):
            offenders += _uses(path.read_text(encoding="utf-8"), relative)
    assert not offenders, (
        "Decide access in watchkeeper.tenancy.access (staff_for_client, managers_for, may_work_on, "
        "is_staff_role, can, …), not with the role sets:\n" + "\n".join(offenders)
    )


def test_the_allow_list_names_modules_that_exist() -> None:
    # A stale entry would silently allow whatever lands at that path next.
    assert [entry for entry in sorted(ALLOWED | PENDING) if not (SOURCE / entry).exists()] == []


def test_the_check_sees_a_role_set_however_it_is_written() -> None:
    source = (
        "from watchkeeper.accounts.models import MSP_ROLES\n"
        "from watchkeeper.accounts import models\n"
        "def f(user):\n"
        "    return user.role in models.CLIENT_ROLES or user.role in MSP_ROLES\n"
    )
    assert _uses(source, "sla/example.py") == [
        "sla/example.py:1 MSP_ROLES",
        "sla/example.py:4 CLIENT_ROLES",
        "sla/example.py:4 MSP_ROLES",
    ]
    assert (
        _allowed("sla/example.py"),
        _allowed("accounts/admin.py"),
        _allowed("sla/migrations/0001_x.py"),
    ) == (
        False,
        True,
        True,
    )


# --- the access functions that replaced hand-written checks ---------------------------------------


@pytest.fixture
def staff(db: Any) -> dict[str, Any]:
    """One client, and one person of each kind relative to it."""
    client, other = ClientFactory(), ClientFactory()
    people: dict[str, Any] = {
        "admin": UserFactory(role=Role.ADMIN),
        "manager_here": UserFactory(role=Role.MANAGER),
        "manager_everywhere": UserFactory(role=Role.MANAGER, all_clients=True),
        "manager_elsewhere": UserFactory(role=Role.MANAGER),
        "manager_gone": UserFactory(role=Role.MANAGER, all_clients=True, is_active=False),
        "technician_here": UserFactory(role=Role.TECHNICIAN),
        "technician_elsewhere": UserFactory(role=Role.TECHNICIAN),
        "client_admin": UserFactory(role=Role.CLIENT_ADMIN, client=client),
    }
    for name in ("manager_here", "technician_here"):
        people[name].assigned_clients.add(client)
    for name in ("manager_elsewhere", "technician_elsewhere"):
        people[name].assigned_clients.add(other)
    return {"client": client, **people}


def _names(staff: dict[str, Any], users: Any) -> set[str]:
    return {name for name, user in staff.items() if user in set(users)}


def test_staff_for_client_is_active_msp_staff_who_work_on_it(staff: dict[str, Any]) -> None:
    assert _names(staff, access.staff_for_client(staff["client"])) == {
        "admin", "manager_here", "manager_everywhere", "technician_here",
    }  # fmt: skip
    assert _names(staff, access.staff_for_client(None)) == {
        "admin", "manager_here", "manager_everywhere", "manager_elsewhere", "technician_here",
        "technician_elsewhere",
    }  # fmt: skip


def test_managers_for_a_client_are_its_active_managers(staff: dict[str, Any]) -> None:
    assert _names(staff, access.managers_for(staff["client"])) == {"manager_here", "manager_everywhere"}


def test_may_work_on_agrees_with_staff_for_client(staff: dict[str, Any]) -> None:
    client = staff["client"]
    working = {
        name
        for name, user in staff.items()
        if name != "client" and access.may_work_on(user, client_id=client.pk)
    }
    assert working == _names(staff, access.staff_for_client(client))


def test_role_predicates(staff: dict[str, Any]) -> None:
    assert [access.is_staff_role(role) for role in (Role.TECHNICIAN, Role.OWNER, Role.CLIENT_USER, None)] == [
        True, True, False, False,
    ]  # fmt: skip
    assert (access.is_active_staff(staff["manager_here"]), access.is_active_staff(staff["manager_gone"])) == (
        True,
        False,
    )
    assert access.is_active_staff(staff["client_admin"]) is False
    assert (access.is_msp_admin(staff["admin"]), access.is_msp_admin(staff["manager_everywhere"])) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.OWNER,
            {"admin.enter", "admin.change", "admin.change_by_managers", "admin.delete", "admin.tokens"},
        ),
        (
            Role.ADMIN,
            {"admin.enter", "admin.change", "admin.change_by_managers", "admin.delete", "admin.tokens"},
        ),
        (Role.MANAGER, {"admin.enter", "admin.change_by_managers"}),
        (Role.TECHNICIAN, set()),
        (Role.CLIENT_ADMIN, set()),
    ],
)
def test_the_admin_actions_follow_the_roles(db: Any, role: str, expected: set[str]) -> None:
    client = ClientFactory() if role == Role.CLIENT_ADMIN else None
    user: Any = UserFactory(role=role, client=client)
    actions = ("admin.enter", "admin.change", "admin.change_by_managers", "admin.delete", "admin.tokens")
    assert {action for action in actions if access.can(user, action)} == expected
