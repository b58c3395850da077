"""SLA console: clocks on incident pages and the queue, the SLA page forms, the HTML report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from tests.sla.factories import calendar_make, policy_make
from watchkeeper.core import clock
from watchkeeper.incidents.services import incident_open
from watchkeeper.sla.models import BusinessCalendar, SlaBreach, SlaPolicy
from watchkeeper.sla.services import sla_incident_reconcile


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def sla(world: Any) -> Any:
    calendar_make()
    policy_make(tier="standard")
    for tenant in (world.a, world.b):
        sla_incident_reconcile(incident_id=tenant.incident.pk)
    return world


def test_incident_page_shows_clocks_with_business_time_left(sla: Any, browser_as: Any) -> None:
    response = browser_as(sla.a.technician).get(reverse("incidents:detail", args=[sla.a.incident.pk]))
    text = _text(response)
    assert "First response" in text and "Resolution" in text
    assert "of business time left" in text


def test_queue_shows_clocks_and_sorts_by_time_to_breach(
    sla: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    later = incident_open(
        client=sla.a.client, service=sla.a.service, title="Printer jam", impact="low", urgency="low", by="x"
    )
    sooner = incident_open(
        client=sla.a.client, service=sla.a.service, title="Mail down", impact="high", urgency="high", by="x"
    )
    for incident in (later, sooner):
        sla_incident_reconcile(incident_id=incident.pk)
    http = browser_as(sla.owner)
    url = reverse("incidents:list") + "?sort=breach"
    http.get(url)
    with django_assert_max_num_queries(25):
        text = _text(http.get(url))
    assert text.index("Mail down") < text.index("Printer jam")
    assert "sla-on_track" in text


def test_queue_filters_by_sla_risk(sla: Any, browser_as: Any) -> None:
    """The SLA-risk filter keeps incidents with a clock at risk or breached, and names a bad value."""
    on_track = incident_open(
        client=sla.a.client, service=sla.a.service, title="Printer jam", impact="low", urgency="low", by="x"
    )
    late = incident_open(
        client=sla.a.client, service=sla.a.service, title="Mail down", impact="high", urgency="high", by="x"
    )
    for incident in (on_track, late):
        sla_incident_reconcile(incident_id=incident.pk)
    clock.advance(dt.timedelta(days=3))  # the P1's 24×7 targets are long past
    sla_incident_reconcile(incident_id=late.pk)
    http = browser_as(sla.owner)
    text = _text(http.get(reverse("incidents:list") + "?sla=breached"))
    assert "Mail down" in text and "Printer jam" not in text
    assert "Mail down" not in _text(http.get(reverse("incidents:list") + "?sla=at_risk&q=Mail"))
    bad = http.get(reverse("incidents:list") + "?sla=soon")
    assert bad.status_code == 400 and "Unknown SLA risk" in bad.content.decode()


def test_client_page_shows_standing_and_report_link(sla: Any, browser_as: Any) -> None:
    text = _text(browser_as(sla.a.technician).get(reverse("tenancy:client", args=[sla.a.client.slug])))
    assert "on track" in text and "SLA report for this month" in text


def test_sla_page_lists_and_admins_edit_targets(sla: Any, browser_as: Any) -> None:
    assert "Office hours" in _text(browser_as(sla.a.technician).get(reverse("sla:page")))
    policy = SlaPolicy.objects.get()
    http = browser_as(sla.owner)
    response = http.post(
        reverse("sla:policy_targets", args=[policy.pk]),
        {
            "thresholds": "60 80",
            "response_by_reply": "on",
            "P1_response": "10",
            "P1_resolution": "60",
            "P1_always": "on",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.warning_thresholds == [60, 80] and list(
        policy.targets.values_list("priority", flat=True)
    ) == ["P1"]
    bad = http.post(reverse("sla:policy_targets", args=[policy.pk]), {"thresholds": "abc"})
    assert bad.status_code == 400 and "Nothing was changed" in _text(bad)
    tech = browser_as(sla.a.technician).post(
        reverse("sla:policy_targets", args=[policy.pk]), {"thresholds": "5"}
    )
    assert tech.status_code == 403


def test_calendar_forms(sla: Any, browser_as: Any) -> None:
    http = browser_as(sla.owner)
    response = http.post(
        reverse("sla:calendar_new"),
        {
            "name": "Split",
            "hours": "mon 08:00-12:00 13:00-17:00\nsat 09:00-12:00",
            "country": "de",
            "public_holidays": "on",
        },
    )
    assert response.status_code == 302
    assert BusinessCalendar.objects.get(name="Split").hours == {
        "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
        "sat": [["09:00", "12:00"]],
    }
    bad = http.post(reverse("sla:calendar_new"), {"name": "Bad", "hours": "mon 17:00-09:00"})
    assert bad.status_code == 400
    calendar = BusinessCalendar.objects.get(name="Split")
    added = http.post(
        reverse("sla:calendar_closures", args=[calendar.pk]), {"days": "2026-12-24, 2026-12-31"}
    )
    assert added.status_code == 302 and calendar.closures.count() == 2
    assert (
        http.post(reverse("sla:calendar_closures", args=[calendar.pk]), {"days": "24.12."}).status_code == 400
    )


def test_report_page_and_downloads(sla: Any, browser_as: Any) -> None:
    SlaBreach.objects.create(
        client=sla.a.client,
        incident=sla.a.incident,
        kind="response",
        priority="P2",
        target_minutes=60,
        opened_at=sla.a.incident.opened_at,
        due_at=clock.now(),
        breached_at=clock.now(),
        reason="Storm",
    )
    http = browser_as(sla.a.client_admin)
    month = sla.a.incident.opened_at.strftime("%Y-%m")
    url = reverse("sla:report", args=[sla.a.client.slug])
    text = _text(http.get(url, {"month": month}))
    assert "SLA report: Alpha Dental" in text and "<svg" in text and "Storm" in text
    assert (
        http.get(reverse("sla:report_pdf", args=[sla.a.client.slug]), {"month": month}).content[:4] == b"%PDF"
    )
    assert (
        b"breach" in http.get(reverse("sla:report_csv", args=[sla.a.client.slug]), {"month": month}).content
    )
    assert http.get(url, {"month": "nonsense"}).status_code == 400
    assert http.get(reverse("sla:report", args=[sla.b.client.slug])).status_code == 404
