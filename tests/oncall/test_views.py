"""Console pages: list, schedule page (calendar, gaps), forms, board, iCal feeds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import icalendar
import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule, victim_schedule
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.oncall.models import Layer, Override

UTC = dt.UTC


@pytest.fixture
def manager(db: Any) -> Any:
    return UserFactory(role=Role.MANAGER, all_clients=True, email="manager@msp.example", full_name="Meg")


@pytest.fixture
def techs(db: Any) -> list[Any]:
    return [UserFactory(full_name=n, email=f"{n.lower()}@msp.example") for n in ("Ann", "Bob")]


def _as(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_schedule_page_shows_the_calendar_and_warns_of_gaps(manager: Any, techs: list[Any]) -> None:
    clock.freeze(dt.datetime(2026, 1, 5, 12, tzinfo=UTC))
    schedule = make_schedule(techs, unit="days")
    Layer.objects.filter(schedule=schedule).update(
        restriction="daily", restrictions=[{"start": "08:00", "end": "20:00"}]
    )
    page = _as(manager).get(reverse("oncall:detail", args=[schedule.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Nobody is on call Mon 05 Jan 20:00–Tue 06 Jan 08:00" in body
    assert body.count('class="seg person-') >= 14  # two weeks of daily shifts


def test_layer_and_override_forms(manager: Any, techs: list[Any]) -> None:
    clock.freeze(dt.datetime(2026, 1, 5, 12, tzinfo=UTC))
    http = _as(manager)
    created = http.post(reverse("oncall:new"), {"name": "Desk", "time_zone": "Europe/London"})
    schedule_id = int(re.search(r"/oncall/(\d+)/", created["Location"])[1])  # type: ignore[index]
    form = {
        "name": "Business hours", "priority": "0", "starts_on": "2026-01-05", "handoff_time": "09:00",
        "shift_length": "1", "shift_unit": "weeks", "restriction": "weekly",
        "windows": "Mon 09:00 - Fri 17:00", "members": "ann@msp.example\nbob@msp.example",
    }  # fmt: skip
    saved = http.post(reverse("oncall:layer_new", args=[schedule_id]), form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    layer = Layer.objects.get(schedule_id=schedule_id)
    assert layer.restrictions == [{"start": "09:00", "end": "17:00", "start_day": 1, "end_day": 5}]
    assert [m.user.email for m in layer.members.all()] == ["ann@msp.example", "bob@msp.example"]
    bad = http.post(reverse("oncall:layer_new", args=[schedule_id]), {**form, "windows": "whenever"})
    assert bad.status_code == 400 and "Cannot read" in bad.content.decode()
    override = {
        "user": techs[1].pk,
        "replaces": techs[0].pk,
        "starts_at": "2026-01-06T09:00",
        "ends_at": "2026-01-06T17:00",
    }
    assert http.post(reverse("oncall:override_new", args=[schedule_id]), override).status_code == 302
    made = Override.objects.get()
    assert made.starts_at == dt.datetime(2026, 1, 6, 9, tzinfo=UTC)  # London is UTC in January
    backwards = {**override, "ends_at": "2026-01-06T08:00"}
    response = http.post(reverse("oncall:override_new", args=[schedule_id]), backwards)
    assert response.status_code == 400 and "must end after it starts" in response.content.decode()


def test_another_clients_technician_cannot_touch_a_dedicated_schedule(world: Any) -> None:
    schedule = victim_schedule(world.a)
    override = schedule.overrides.get()
    http = _as(world.b.technician)
    assert http.post(reverse("oncall:override_delete", args=[schedule.pk, override.pk])).status_code == 404
    assert (
        http.post(reverse("oncall:layer_delete", args=[schedule.pk, schedule.layers.get().pk])).status_code
        == 404
    )
    assert (
        Override.objects.filter(pk=override.pk).exists() and Layer.objects.filter(schedule=schedule).exists()
    )
    assert _as(world.a.technician).get(reverse("oncall:detail", args=[schedule.pk])).status_code == 200
    assert _as(world.a.client_admin).get(reverse("oncall:list")).status_code == 403


def test_ical_feeds_work_without_a_session_and_rotate(manager: Any, techs: list[Any]) -> None:
    clock.freeze(dt.datetime(2026, 1, 5, 12, tzinfo=UTC))
    schedule = make_schedule(techs, unit="days")
    http = _as(manager)
    rotated = http.post(reverse("oncall:calendar", args=[schedule.pk]), follow=True)
    url = re.search(r"(http://testserver/oncall/calendar/[^ <]+\.ics)", rotated.content.decode())[1]  # type: ignore[index]
    feed = HttpClient().get(url)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert len(events) > 80 and "On call: NOC (Ann)" in {str(e["summary"]) for e in events}
    http.post(reverse("oncall:calendar", args=[schedule.pk]))
    assert HttpClient().get(url).status_code == 404  # the old address stops working
    mine = _as(techs[1]).post(reverse("oncall:my_calendar"), follow=True)
    own = re.search(r"(http://testserver/oncall/calendar/[^ <]+\.ics)", mine.content.decode())[1]  # type: ignore[index]
    summaries = {
        str(e["summary"]) for e in icalendar.Calendar.from_ical(HttpClient().get(own).content).walk("VEVENT")
    }
    assert summaries == {"On call: NOC (Bob)"}


def test_board_and_list_cost_a_fixed_number_of_queries(manager: Any, techs: list[Any], world: Any) -> None:
    clock.freeze(dt.datetime(2026, 1, 5, 12, tzinfo=UTC))
    make_schedule(techs, name="NOC")
    victim_schedule(world.a)
    http = _as(manager)

    def count(name: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = http.get(reverse(name))
        assert response.status_code == 200
        return len(queries)

    board = http.get(reverse("oncall:board")).content.decode()
    assert "Alpha Dental on-call" in board and "Bravo Logistics" in board
    few_board, few_list = count("oncall:board"), count("oncall:list")
    for n in range(4):
        make_schedule(techs, name=f"Extra {n}")
    assert count("oncall:board") == few_board
    assert count("oncall:list") == few_list


def test_settings_form_and_the_own_status_line(manager: Any, techs: list[Any]) -> None:
    clock.freeze(dt.datetime(2026, 1, 5, 12, tzinfo=UTC))
    schedule = make_schedule(techs)
    http = _as(manager)
    bad = http.post(reverse("oncall:edit", args=[schedule.pk]), {"name": "NOC", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 400 and "IANA" in bad.content.decode()
    saved = http.post(
        reverse("oncall:edit", args=[schedule.pk]), {"name": "NOC London", "time_zone": "Europe/London"}
    )
    assert saved.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("NOC London", "Europe/London")
    assert _as(techs[0]).get(reverse("oncall:edit", args=[schedule.pk])).status_code == 403  # technicians
    assert "You are on call now: " in _as(techs[0]).get(reverse("oncall:list")).content.decode()
