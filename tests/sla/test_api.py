"""SLA API: calendars, policies, breaches and reports; validation answers 400, never 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.sla.factories import calendar_make, policy_make
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock
from watchkeeper.core.models import Timer
from watchkeeper.sla.models import BusinessCalendar, CalendarClosure, ClientCalendar, SlaBreach, SlaClock

ICAL = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:1@test
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20261227
SUMMARY:Christmas closure
END:VEVENT
BEGIN:VEVENT
UID:2@test
DTSTART:20261231T130000Z
DTEND:20261231T170000Z
SUMMARY:New Year's Eve afternoon
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def admin(world: Any, api_as: Any) -> Any:
    return api_as(world.owner, scopes=["read", "write", "admin"])


def test_calendar_create_validates_hours_zone_and_country(admin: Any) -> None:
    good = {
        "name": "Split days",
        "time_zone": "Europe/Berlin",
        "country": "de",
        "region": "by",
        "hours": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["09:00", "12:00"]]},
    }
    response = admin.post("/api/v1/calendars", good)
    assert response.status_code == 201, response.content
    assert (response.json()["country"], response.json()["region"]) == ("DE", "BY")
    for bad, field in [
        ({"hours": {"mon": [["12:00", "08:00"]]}}, "hours"),
        ({"hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}}, "hours"),
        ({"hours": {"funday": [["08:00", "12:00"]]}}, "hours"),
        ({"hours": {"mon": [["8am", "12:00"]]}}, "hours"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"country": "XX"}, "country"),
    ]:
        response = admin.post("/api/v1/calendars", {"name": "Bad", **bad})
        assert (response.status_code, response.json().get("field")) == (400, field), bad
    assert admin.post("/api/v1/calendars", good).status_code == 409
    assert BusinessCalendar.objects.count() == 1


def test_ical_import_adds_closure_days_once(admin: Any, world: Any) -> None:
    calendar = calendar_make()
    url = f"/api/v1/calendars/{calendar.pk}/ical"
    assert admin.post(url, {"ical": ICAL.decode()}).json() == {"added": 4}
    assert admin.post(url, {"ical": ICAL.decode()}).json() == {"added": 0}
    days = list(CalendarClosure.objects.values_list("date", "source"))
    assert [d for d, _ in days] == [
        dt.date(2026, 12, 24),
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 26),
        dt.date(2026, 12, 31),
    ]
    assert admin.post(url, {"ical": "not a calendar"}).status_code == 400


def test_assigning_a_calendar_to_a_client_recomputes_its_open_incidents(admin: Any, world: Any) -> None:
    calendar = calendar_make(is_default=False)
    Timer.objects.all().delete()
    response = admin.post(f"/api/v1/calendars/{calendar.pk}/clients", {"client": world.a.client.slug})
    assert response.status_code == 204
    assert ClientCalendar.objects.get(client=world.a.client).calendar == calendar
    assert Timer.objects.filter(kind="sla.incident", key=str(world.a.incident.pk)).exists()
    assert not Timer.objects.filter(kind="sla.incident", key=str(world.b.incident.pk)).exists()


def test_policy_create_and_update_targets(admin: Any, world: Any) -> None:
    body = {
        "name": "Standard",
        "tier": "standard",
        "targets": [
            {
                "priority": "P1",
                "response_minutes": 15,
                "update_minutes": 60,
                "resolution_minutes": 240,
                "around_the_clock": True,
            }
        ],
    }
    created = admin.post("/api/v1/sla-policies", body)
    assert created.status_code == 201, created.content
    policy_id = created.json()["id"]
    assert created.json()["warning_thresholds"] == [50, 75, 90]
    patched = admin.patch(
        f"/api/v1/sla-policies/{policy_id}",
        {
            "warning_thresholds": [80, 60],
            "targets": [{"priority": "P2", "response_minutes": 30, "resolution_minutes": 480}],
        },
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["warning_thresholds"] == [60, 80]
    assert [t["priority"] for t in patched.json()["targets"]] == ["P2"]
    assert AuditEntry.objects.filter(action__startswith="sla.policy").count() == 2
    for bad in [
        {"warning_thresholds": [0]},
        {"warning_thresholds": [150]},
        {"pause_statuses": ["resolved"]},
        {"targets": [{"priority": "P9", "response_minutes": 1, "resolution_minutes": 1}]},
    ]:
        assert admin.patch(f"/api/v1/sla-policies/{policy_id}", bad).status_code == 400, bad
    assert admin.post("/api/v1/sla-policies", {**body, "name": "Again"}).status_code == 409
    assert admin.post("/api/v1/sla-policies", {"name": "Neither"}).status_code == 400


def test_technicians_read_policies_but_cannot_change_them(world: Any, api_as: Any) -> None:
    policy = policy_make(tier="standard")
    tech = api_as(world.a.technician)
    assert tech.get(f"/api/v1/sla-policies/{policy.pk}").status_code == 200
    assert tech.patch(f"/api/v1/sla-policies/{policy.pk}", {"name": "Mine"}).status_code == 403
    assert api_as(world.a.client_user).get("/api/v1/sla-policies").status_code == 403


def test_breach_reason_is_the_only_change_and_is_audited(world: Any, api_as: Any) -> None:
    breach = SlaBreach.objects.create(
        client=world.a.client,
        incident=world.a.incident,
        kind="resolution",
        priority="P2",
        target_minutes=240,
        opened_at=world.a.incident.opened_at,
        due_at=clock.now(),
        breached_at=clock.now(),
    )
    tech = api_as(world.a.technician)
    response = tech.patch(f"/api/v1/sla-breaches/{breach.pk}", {"reason": "Vendor part delayed"})
    assert response.status_code == 200 and response.json()["reason"] == "Vendor part delayed"
    assert AuditEntry.objects.filter(action="sla.breach.reason", object_id=str(breach.pk)).exists()
    assert tech.patch(f"/api/v1/sla-breaches/{breach.pk}", {"reason": ""}).status_code == 400
    breach.refresh_from_db()
    breach.priority = "P1"
    with pytest.raises(RuntimeError, match="append-only"):
        breach.save()
    assert (
        api_as(world.b.technician).patch(f"/api/v1/sla-breaches/{breach.pk}", {"reason": "x"}).status_code
        == 404
    )


def test_report_formats_and_client_users_see_only_their_own(world: Any, api_as: Any) -> None:
    month = clock.now().strftime("%Y-%m")
    SlaClock.objects.create(
        client=world.a.client,
        incident=world.a.incident,
        kind="response",
        priority="P2",
        target_minutes=60,
        state="met",
        started_at=world.a.incident.opened_at,
        opened_at=world.a.incident.opened_at,
        met_at=clock.now(),
        elapsed_seconds=1800,
    )
    own = api_as(world.a.client_user)
    body = own.get("/api/v1/reports/sla", client=world.a.client.slug, month=month).json()
    assert body["compliance"] == [
        {"target": "response", "priority": "P2", "met": 1, "breached": 0, "open": 0, "percent": 100.0}
    ]
    assert body["times_seconds"]["response"]["median"] == 1800
    csv = own.get("/api/v1/reports/sla", client=world.a.client.slug, month=month, format="csv")
    assert csv["Content-Type"] == "text/csv" and b"compliance,response,P2,1,0,0,100.0" in csv.content
    pdf = own.get("/api/v1/reports/sla", client=world.a.client.slug, month=month, format="pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert own.get("/api/v1/reports/sla", client=world.b.client.slug, month=month).status_code == 404
    assert own.get("/api/v1/reports/sla", client=world.a.client.slug, month="2026-13").status_code == 400
    ranged = own.get(
        "/api/v1/reports/sla", client=world.a.client.slug, **{"from": "2026-01-01", "to": "2025-01-01"}
    )
    assert ranged.status_code == 400


def test_manager_of_other_clients_is_not_told(world: Any) -> None:
    from watchkeeper.sla.notify import managers_of

    outsider = UserFactory(role=Role.MANAGER)
    outsider.assigned_clients.add(world.b.client)
    insider = UserFactory(role=Role.MANAGER, all_clients=True)
    assert managers_of(world.a.incident) == [insider]
