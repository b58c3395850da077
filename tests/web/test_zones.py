"""Every time shown to a person is in their own zone, labelled (issue 13, item 14): one event
seen and received by a technician in New York and a manager in Oslo."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule
from tests.sla.factories import calendar_make, policy_make
from watchkeeper.accounts.models import Role, User
from watchkeeper.core import clock
from watchkeeper.core.humanize import when
from watchkeeper.incidents.models import TimelineEntry
from watchkeeper.incidents.services import incident_assign
from watchkeeper.paging.models import OutboxMessage
from watchkeeper.paging.services.escalation import incident_reassign
from watchkeeper.sla.models import SlaBreach
from watchkeeper.sla.services import sla_incident_reconcile

NEW_YORK, OSLO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Oslo")
WINTER = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)  # a Tuesday: EST and CET


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def readers(world: Any) -> tuple[User, User]:
    """A technician in New York and a manager in Oslo, both looking after Alpha Dental."""
    ny = UserFactory(role=Role.TECHNICIAN, email="ny@msp.example", timezone="America/New_York")
    oslo = UserFactory(role=Role.MANAGER, email="oslo@msp.example", timezone="Europe/Oslo")
    for user in (ny, oslo):
        user.assigned_clients.add(world.a.client)
    return ny, oslo


def test_an_sla_breach_reads_in_each_readers_zone(world: Any, readers: Any, browser_as: Any) -> None:
    ny, oslo = readers
    calendar_make()
    policy_make(tier="standard")
    incident = world.a.incident
    incident_assign(incident=incident, by=ny, owner=ny)
    sla_incident_reconcile(incident_id=incident.pk)
    clock.advance(dt.timedelta(days=5))  # every target long past
    sla_incident_reconcile(incident_id=incident.pk)

    breach = SlaBreach.objects.filter(incident=incident).order_by("due_at").first()
    assert breach is not None
    entry = TimelineEntry.objects.filter(
        incident=incident, data__sla="breach", data__target=breach.kind
    ).get()
    assert "{due}" in entry.text and "UTC" not in entry.text  # stored apart, filled when read
    ny_due, oslo_due = when(breach.due_at, NEW_YORK), when(breach.due_at, OSLO)
    assert ny_due.endswith(("EST", "EDT")) and oslo_due.endswith(("CET", "CEST"))

    # The e-mails: the owner (New York) and the manager (Oslo) each read their own time.
    notices = OutboxMessage.objects.filter(incident=incident, purpose="notification")
    ny_mail = [m.text for m in notices.filter(user=ny) if breach.get_kind_display() in m.text]
    oslo_mail = [m.text for m in notices.filter(user=oslo) if breach.get_kind_display() in m.text]
    assert any(f"was due {ny_due}" in text for text in ny_mail), ny_mail
    assert any(f"was due {oslo_due}" in text for text in oslo_mail), oslo_mail
    assert not any("UTC" in text for text in ny_mail + oslo_mail)

    # The incident page: the timeline's texts and headers in the viewer's zone.
    url = reverse("incidents:detail", args=[incident.pk])
    ny_page, oslo_page = _text(browser_as(ny).get(url)), _text(browser_as(oslo).get(url))
    assert f"was due {ny_due}" in ny_page and oslo_due not in ny_page
    assert f"was due {oslo_due}" in oslo_page and ny_due not in oslo_page
    assert re.search(r"<time datetime=\"[^\"]+\">\w{3} \d+ \w{3}, \d\d:\d\d E[SD]T</time>", ny_page)


def test_the_api_fills_stored_times_in_utc(world: Any, readers: Any, api_as: Any) -> None:
    ny, _ = readers
    calendar_make()
    policy_make(tier="standard")
    incident = world.a.incident
    sla_incident_reconcile(incident_id=incident.pk)
    clock.advance(dt.timedelta(days=5))
    sla_incident_reconcile(incident_id=incident.pk)
    body = api_as(ny).get(f"/api/v1/incidents/{incident.pk}").json()
    texts = [entry["text"] for entry in body["timeline"] if entry["data"].get("sla") == "breach"]
    assert texts and all(re.search(r"was due \w{3} \d+ \w{3}, \d\d:\d\d UTC$", text) for text in texts)


def test_a_page_reads_in_the_recipients_zone(world: Any, readers: Any) -> None:
    ny, oslo = readers
    incident = world.a.incident
    for user in (ny, oslo):
        incident_reassign(incident=incident, to=user, by=world.owner)
    ny_page = OutboxMessage.objects.filter(user=ny, purpose="page").latest("pk")
    oslo_page = OutboxMessage.objects.filter(user=oslo, purpose="page").latest("pk")
    assert f"Opened {when(incident.opened_at, NEW_YORK)}" in ny_page.text
    assert f"Opened {when(incident.opened_at, OSLO)}" in oslo_page.text
    assert "UTC" not in ny_page.text + oslo_page.text


def test_the_on_call_board_labels_every_time_in_the_viewers_zone(
    world: Any, readers: Any, browser_as: Any
) -> None:
    """Schedules in London, Oslo and New York on one board: each time in the viewer's zone,
    each labelled, so none can be read as another zone's."""
    ny, oslo = readers
    clock.freeze(WINTER)
    make_schedule([world.a.technician], name="London desk", time_zone="Europe/London", client=world.a.client)
    make_schedule([oslo], name="Oslo desk", time_zone="Europe/Oslo", unit="days", client=world.a.client)
    make_schedule([ny], name="New York desk", time_zone="America/New_York", client=world.a.client)
    for viewer, labels in ((ny, ("EST",)), (oslo, ("CET",))):
        page = browser_as(viewer).get(reverse("oncall:board")).content.decode()
        shown = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", page)
        assert len(shown) >= 3, page
        assert all(time.endswith(labels) for time in shown), (viewer.timezone, shown)


def test_pages_without_a_zone_of_their_own_follow_the_viewer(
    world: Any, readers: Any, browser_as: Any
) -> None:
    """The middleware activates the viewer's zone for every page (the audit log here)."""
    _, oslo = readers
    make_schedule([oslo], name="Oslo desk", time_zone="Europe/Oslo", client=world.a.client)
    manager = browser_as(oslo)
    text = _text(manager.get(reverse("audit:list")))
    assert "When (UTC)" not in text
    times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\w+)", text)
    assert times and set(times) <= {"CET", "CEST"}, times
