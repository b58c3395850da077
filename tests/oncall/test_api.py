"""The schedules and on-call API: create with layers and overrides, update, who is on call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.oncall.models import Layer, Override, Schedule

UTC = dt.UTC


@pytest.fixture
def manager(db: Any) -> Any:
    return UserFactory(role=Role.MANAGER, all_clients=True, email="manager@msp.example")


@pytest.fixture
def techs(db: Any) -> list[Any]:
    return [UserFactory(full_name=n, email=f"{n.lower()}@msp.example") for n in ("Ann", "Bob")]


def _body(techs: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "NOC",
        "time_zone": "Europe/London",
        "layers": [
            {"name": "Weekly", "starts_on": "2026-03-23", "handoff_time": "09:00", "shift_unit": "weeks",
             "members": [t.pk for t in techs]},
            {"name": "Weekend days", "priority": 1, "starts_on": "2026-03-23", "handoff_time": "09:00",
             "shift_unit": "days", "restriction": "weekly", "members": [techs[1].pk],
             "restrictions": [{"start": "08:00", "end": "20:00", "start_day": 6, "end_day": 6}]},
        ],
        **extra,
    }  # fmt: skip


def test_create_then_ask_who_is_on_call_across_the_dst_change(
    api_as: Any, manager: Any, techs: list[Any]
) -> None:
    api = api_as(manager)
    created = api.post("/api/v1/schedules", _body(techs))
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    assert [layer["name"] for layer in created.json()["layers"]] == ["Weekend days", "Weekly"]
    # 30 March 2026 09:00 London is 08:00 UTC (BST): Bob takes over from Ann then.
    before = api.get(f"/api/v1/schedules/{sid}/oncall", at="2026-03-30T07:59:00Z").json()
    assert [s["user"]["email"] for s in before["oncall"]] == ["ann@msp.example"]
    assert before["next"]["user"]["email"] == "bob@msp.example"
    assert before["next"]["start"].startswith("2026-03-30T08:00:00")
    saturday = api.get(f"/api/v1/schedules/{sid}/oncall", at="2026-03-28T12:00:00Z").json()
    assert [s["user"]["email"] for s in saturday["oncall"]] == ["bob@msp.example"]
    shifts = api.get(
        f"/api/v1/schedules/{sid}/shifts", start="2026-03-23T09:00:00Z", end="2026-03-30T08:00:00Z"
    )
    assert [s["user"]["email"] for s in shifts.json()] == [
        "ann@msp.example",
        "bob@msp.example",
        "ann@msp.example",
    ]


def test_override_then_patch_layers(api_as: Any, manager: Any, techs: list[Any]) -> None:
    api = api_as(manager)
    sid = api.post("/api/v1/schedules", _body(techs)).json()["id"]
    cover = {
        "user_id": techs[1].pk, "replaces_id": techs[0].pk, "note": "dentist",
        "starts_at": "2026-03-24T00:00:00Z", "ends_at": "2026-03-25T00:00:00Z",
    }  # fmt: skip
    made = api.post(f"/api/v1/schedules/{sid}/overrides", cover)
    assert made.status_code == 201, made.content
    at = api.get(f"/api/v1/schedules/{sid}/oncall", at="2026-03-24T12:00:00Z").json()
    assert [s["user"]["email"] for s in at["oncall"]] == ["bob@msp.example"]
    patched = api.patch(f"/api/v1/schedules/{sid}", {"name": "NOC London", "layers": []})
    assert patched.status_code == 200 and patched.json()["layers"] == []
    assert Layer.objects.filter(schedule_id=sid).count() == 0
    gone = api.http.delete(f"/api/v1/schedules/{sid}/overrides/{made.json()['id']}", headers=api.headers)
    assert gone.status_code == 204 and not Override.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "starts_on": "2026-01-01",
                        "handoff_time": "09:00",
                        "shift_unit": "months",
                        "members": [],
                    }
                ]
            },
            "shift_unit",
        ),
        (
            {
                "layers": [
                    {"name": "x", "starts_on": "2026-01-01", "handoff_time": "09:00", "members": [999999]}
                ]
            },
            "members",
        ),
        (
            {
                "layers": [
                    {
                        "name": "x",
                        "starts_on": "2026-01-01",
                        "handoff_time": "09:00",
                        "restriction": "daily",
                        "restrictions": [{"start": "25:00", "end": "08:00"}],
                        "members": [],
                    }
                ]
            },
            "restrictions",
        ),
    ],
)
def test_bad_input_is_a_clear_400_and_writes_nothing(
    api_as: Any, manager: Any, techs: list[Any], change: dict[str, Any], field: str
) -> None:
    response = api_as(manager).post("/api/v1/schedules", {**_body(techs), **change})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not Schedule.objects.exists()


def test_portal_users_cannot_be_on_call(api_as: Any, manager: Any, techs: list[Any], world: Any) -> None:
    body = _body(techs)
    body["layers"][0]["members"] = [world.a.client_admin.pk]
    response = api_as(manager).post("/api/v1/schedules", body)
    assert response.status_code == 400 and response.json()["field"] == "members"


def test_times_need_a_zone(api_as: Any, manager: Any, techs: list[Any]) -> None:
    sid = make_schedule(techs).pk
    response = api_as(manager).get(f"/api/v1/schedules/{sid}/oncall", at="2026-01-05T10:00")
    assert response.status_code == 400 and "time zone" in response.json()["detail"]


def test_portal_users_get_403_and_technicians_cannot_restructure(
    api_as: Any, world: Any, techs: list[Any]
) -> None:
    assert api_as(world.a.client_admin).get("/api/v1/schedules").status_code == 403
    assert api_as(world.a.client_user).get("/api/v1/oncall").status_code == 403
    response = api_as(world.a.technician).post("/api/v1/schedules", _body(techs))
    assert response.status_code == 403


def test_whole_msp_oncall_with_user_filter(api_as: Any, manager: Any, techs: list[Any]) -> None:
    clock.freeze(dt.datetime(2026, 1, 6, 12, tzinfo=UTC))
    make_schedule(techs, name="Days", unit="days")
    make_schedule(techs[1:], name="Bob only")
    api = api_as(manager)
    everyone = api.get("/api/v1/oncall").json()
    assert {(s["schedule"]["name"], s["oncall"][0]["user"]["email"]) for s in everyone} == {
        ("Days", "bob@msp.example"), ("Bob only", "bob@msp.example"),
    }  # fmt: skip
    ann = api.get("/api/v1/oncall", user=str(techs[0].pk)).json()
    assert [s["schedule"]["name"] for s in ann] == ["Days"]  # Ann is next on "Days"
    assert ann[0]["next"]["user"]["email"] == "ann@msp.example"


def test_list_query_count_does_not_grow(api_as: Any, manager: Any, techs: list[Any]) -> None:
    api = api_as(manager)
    make_schedule(techs, name="S0")

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    count("/api/v1/schedules")  # the first use of a token also records it
    few, few_oncall = count("/api/v1/schedules"), count("/api/v1/oncall")
    for n in range(1, 6):
        make_schedule(techs, name=f"S{n}")
    assert count("/api/v1/schedules") == few
    assert count("/api/v1/oncall") == few_oncall
