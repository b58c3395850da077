"""The isolation matrix for rows shared by every client: the MSP-wide NOC default policy.

Another client's actors may read a shared policy (it pages for their client too) but every
write addressed at it is refused (403, or 404 for those who may not see paging at all) and
changes nothing: a change would reach clients they cannot see (issue 12 item 1, ADR 0027).
Every editor URL and policy API write must be listed here, like the registry of the matrix.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import get_resolver, reverse

from tests.isolation.test_matrix import ATTACKERS, _attacker
from tests.oncall.factories import make_schedule
from watchkeeper.audit.services import snapshot
from watchkeeper.oncall.models import CalendarToken, Layer, Override, Schedule
from watchkeeper.oncall.services import calendar_token_rotate, override_create
from watchkeeper.paging.models import EscalationLevel, EscalationPolicy, EscalationTarget, TargetKind

# Editor forms of one policy (URL name → form data); `service_*` change one service's own client
# and are covered by the matrix of client rows instead.
FORMS: dict[str, dict[str, str]] = {
    "policy_settings": {"name": "Taken over", "repeat": "0"},
    "policy_default": {"is_default": "0"},
    "policy_delete": {},
    "level_add": {"target": "user:{planted}", "delay_minutes": "0"},
    "level_delay": {"delay_minutes": "1440"},
    "level_move": {"direction": "down"},
    "level_remove": {},
    "target_add": {"target": "user:{planted}"},
    "target_remove": {},
}
NOT_POLICY_WRITES = {"policy", "service_add", "service_remove"}


def _noc(world: Any) -> EscalationPolicy:
    noc = EscalationPolicy.objects.create(name="NOC default", is_default=True)
    level = EscalationLevel.objects.create(policy=noc, position=0, delay_minutes=10)
    EscalationTarget.objects.create(level=level, kind=TargetKind.USER, user=world.owner)
    return noc


def _shared_state() -> list[dict[str, Any]]:
    rows: list[Any] = [*EscalationPolicy.objects.filter(client__isnull=True).order_by("pk")]
    rows += [*EscalationLevel.objects.filter(policy__client__isnull=True).order_by("pk")]
    rows += [*EscalationTarget.objects.filter(level__policy__client__isnull=True).order_by("pk")]
    return [snapshot(row) for row in rows]


def _args(name: str, noc: EscalationPolicy) -> list[int]:
    level = noc.levels.get()
    if name == "target_remove":
        return [noc.pk, level.pk, level.targets.get().pk]
    if name in {"level_delay", "level_move", "level_remove", "target_add"}:
        return [noc.pk, level.pk]
    return [noc.pk]


def test_every_policy_editor_url_is_declared() -> None:
    paging = get_resolver().namespace_dict["paging"][1]
    editors = {
        pattern.name
        for pattern in paging.url_patterns
        if pattern.name and "policy_id" in str(pattern.pattern)
    }
    assert editors - NOT_POLICY_WRITES == set(FORMS), "declare new policy editor URLs in FORMS"


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize("name", sorted(FORMS))
def test_shared_policy_forms_as_another_clients_actor(world: Any, attacker: str, name: str) -> None:
    noc = _noc(world)
    http = HttpClient()
    http.force_login(_attacker(world, attacker))
    data = {key: value.format(planted=world.b.technician.pk) for key, value in FORMS[name].items()}
    before = _shared_state()
    response = http.post(reverse(f"paging:{name}", args=_args(name, noc)), data)
    assert response.status_code in {403, 404}, f"{name} as B's {attacker}: {response.status_code}"
    assert _shared_state() == before


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_shared_policy_api_writes_as_another_clients_actor(
    world: Any, api_as: Any, attacker: str, method: str
) -> None:
    noc = _noc(world)
    api = api_as(_attacker(world, attacker), scopes=["read", "write", "admin"])
    body = {
        "name": "NOC default", "is_default": True,
        "levels": [{"targets": [{"kind": "user", "id": world.b.technician.pk}]}],
    }  # fmt: skip
    before = _shared_state()
    response = api.http.generic(
        method, f"/api/v1/escalation-policies/{noc.pk}", json.dumps(body) if method == "PUT" else "",
        content_type="application/json", headers=api.headers,
    )  # fmt: skip
    assert response.status_code in {403, 404}, f"{method} as B's {attacker}: {response.status_code}"
    assert _shared_state() == before
    created = api.post("/api/v1/escalation-policies", {**body, "name": "Planted", "is_default": False})
    assert created.status_code in {403, 404}
    assert _shared_state() == before


# ----- MSP-wide on-call schedules: read by the staff, changed only by those who see every client

LAYER = {
    "priority": "1", "time_zone": "UTC", "starts_on": "2026-01-05", "handoff_time": "09:00",
    "shift_length": "1", "shift_unit": "weeks", "restriction": "none", "members": "{planted}",
}  # fmt: skip
SCHEDULE_FORMS: dict[str, dict[str, str]] = {
    "edit": {"name": "Taken over", "description": "", "time_zone": "UTC"},
    "layer_new": {"name": "Planted", **LAYER},
    "layer_edit": {"name": "Primary", **LAYER},
    "layer_delete": {},
    "override_new": {"user": "{planted}", "starts_at": "2030-01-01T00:00", "ends_at": "2030-01-01T08:00"},
    "override_delete": {},
    "calendar": {},
}
NOT_SCHEDULE_WRITES = {"detail"}


def _shared_schedule(world: Any) -> Schedule:
    noc = make_schedule([world.owner], name="NOC shared")
    override_create(
        actor="test", schedule=noc, user=world.owner, starts_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 1, 2, tzinfo=dt.UTC),
    )  # fmt: skip
    calendar_token_rotate(actor="test", schedule=noc)
    return noc


def _schedule_state() -> list[dict[str, Any]]:
    rows: list[Any] = [*Schedule.objects.order_by("pk"), *Layer.objects.order_by("pk")]
    rows += [*Override.objects.order_by("pk"), *CalendarToken.objects.order_by("pk")]
    return [snapshot(row) for row in rows]


def _schedule_args(name: str, noc: Schedule) -> list[int]:
    if name in {"layer_edit", "layer_delete"}:
        return [noc.pk, noc.layers.get().pk]
    if name == "override_delete":
        return [noc.pk, noc.overrides.get().pk]
    return [noc.pk]


def test_every_schedule_editor_url_is_declared() -> None:
    oncall = get_resolver().namespace_dict["oncall"][1]
    editors = {
        pattern.name
        for pattern in oncall.url_patterns
        if pattern.name and "schedule_id" in str(pattern.pattern)
    }
    assert editors - NOT_SCHEDULE_WRITES == set(SCHEDULE_FORMS), "declare new schedule editor URLs"


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize("name", sorted(SCHEDULE_FORMS))
def test_shared_schedule_forms_as_another_clients_actor(world: Any, attacker: str, name: str) -> None:
    noc = _shared_schedule(world)
    http = HttpClient()
    http.force_login(_attacker(world, attacker))
    data = {
        key: value.format(planted=world.b.technician.email) for key, value in SCHEDULE_FORMS[name].items()
    }
    before = _schedule_state()
    response = http.post(reverse(f"oncall:{name}", args=_schedule_args(name, noc)), data)
    assert response.status_code in {403, 404}, f"{name} as B's {attacker}: {response.status_code}"
    assert _schedule_state() == before
