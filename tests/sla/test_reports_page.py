"""Finding and reading SLA reports (issue 13, item 16): the Reports page, scoped by access; the
SLA page's words (durations, status labels) and its link; the report's legend and breach links;
no placeholder text anywhere."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.sla.factories import calendar_make, policy_make
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.sla import reports
from watchkeeper.sla.models import ReportDelivery, ReportState, SlaBreach, SlaClock
from watchkeeper.sla.services import sla_incident_reconcile

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "watchkeeper"


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def sla(world: Any) -> Any:
    calendar_make()
    policy_make(tier="standard")
    for tenant in (world.a, world.b):
        sla_incident_reconcile(incident_id=tenant.incident.pk)
    return world


def _breach(tenant: Any) -> SlaBreach:
    return SlaBreach.objects.create(
        client=tenant.client, incident=tenant.incident, kind="resolution", priority="P2",
        target_minutes=960, opened_at=tenant.incident.opened_at, due_at=clock.now(), breached_at=clock.now(),
    )  # fmt: skip


def _month(tenant: Any) -> str:
    return tenant.incident.opened_at.strftime("%Y-%m")


def test_reports_page_lists_each_visible_clients_reports_with_links(sla: Any, browser_as: Any) -> None:
    SlaClock.objects.filter(client=sla.a.client, kind="response").update(state="met", met_at=clock.now())
    SlaClock.objects.filter(client=sla.a.client, kind="resolution").update(state="breached")
    month = _month(sla.a)
    ReportDelivery.objects.create(
        client=sla.a.client, month=month, state=ReportState.SENT, sent_at=clock.now(), recipients=["it@alpha"]
    )
    text = _text(browser_as(sla.owner).get(reverse("sla:reports"), {"month": month}))
    assert "Alpha Dental" in text and "Bravo Logistics" in text
    slug = sla.a.client.slug
    for name in ("sla:report", "sla:report_pdf", "sla:report_csv"):
        assert f'href="{reverse(name, args=[slug])}?month={month}"' in text
    assert "50.0 %" in text and "1 of 2" in text  # response met, resolution breached
    assert "sent " in text and "to 1 contact" in text


def test_restricted_staff_see_only_their_clients(sla: Any, browser_as: Any) -> None:
    manager = UserFactory(role=Role.MANAGER, email="restricted@msp.example")
    manager.assigned_clients.add(sla.b.client)
    http = browser_as(manager)
    text = _text(http.get(reverse("sla:reports")))
    assert "Bravo Logistics" in text and "Alpha Dental" not in text and sla.a.client.slug not in text
    assert http.get(reverse("sla:reports"), {"client": sla.a.client.slug}).status_code == 404
    own = _text(http.get(reverse("sla:reports"), {"client": sla.b.client.slug}))
    assert own.count(f"{reverse('sla:report_pdf', args=[sla.b.client.slug])}?month=") == reports.INDEX_MONTHS


def test_reports_page_refuses_a_month_it_does_not_list(sla: Any, browser_as: Any) -> None:
    response = browser_as(sla.owner).get(reverse("sla:reports"), {"month": "1999-01"})
    assert response.status_code == 400 and "last twelve months" in _text(response)


def test_report_index_counts_in_one_query(sla: Any, django_assert_num_queries: Any) -> None:
    clients = [sla.a.client, sla.b.client]
    months = reports.month_list(today=clock.now().date())
    with django_assert_num_queries(2):  # the clocks' counts, the deliveries
        entries = reports.report_index(clients=clients, months=months)
    assert len(entries) == 2 * reports.INDEX_MONTHS


def test_reports_nav_item_is_a_real_page_and_nothing_is_greyed_out(sla: Any, browser_as: Any) -> None:
    text = _text(browser_as(sla.a.technician).get(reverse("sla:reports")))
    assert f'<a href="{reverse("sla:reports")}" aria-current="page">SLA reports</a>' in text
    assert '<summary class="current">Reports</summary>' in text  # its menu on the bar is current too
    assert 'aria-current="page">SLAs' not in text
    assert 'class="soon"' not in text and "coming release" not in text


def test_sla_page_shows_durations_and_status_labels_and_links_reports(sla: Any, browser_as: Any) -> None:
    text = _text(browser_as(sla.a.technician).get(reverse("sla:page")))
    # P5 of the factory: response 960 min, resolution 4800 min; P4 resolution 2880 min.
    assert "<td>16 h</td>" in text and "<td>3 d 8 h</td>" in text and "<td>2 d</td>" in text
    assert "<td>960</td>" not in text and "<td>4800</td>" not in text
    assert "waiting_client" not in text and "waiting on client" in text
    assert f'href="{reverse("sla:reports")}"' in text


def test_report_shows_legend_and_links_breaches_for_those_who_may_see_them(sla: Any, browser_as: Any) -> None:
    _breach(sla.a)
    url = reverse("sla:report", args=[sla.a.client.slug])
    month = {"month": _month(sla.a)}
    staff = _text(browser_as(sla.a.technician).get(url, month))
    assert 'class="chart-legend"' in staff and "95 % or more of targets met" in staff
    assert (
        f'<a href="{reverse("incidents:detail", args=[sla.a.incident.pk])}">{sla.a.incident.reference}</a>'
        in staff
    )
    assert "(16 h)" in staff
    portal = _text(browser_as(sla.a.client_admin).get(url, month))
    assert f'<a href="{reverse("portal:incident", args=[sla.a.incident.pk])}">' in portal
    assert f'href="{reverse("incidents:detail", args=[sla.a.incident.pk])}"' not in portal


def test_report_pdf_has_a_legend_and_the_clients_zone(sla: Any, browser_as: Any) -> None:
    from watchkeeper.sla.render import report_pdf

    sla.a.client.timezone = "Europe/Oslo"
    sla.a.client.save(update_fields=["timezone"])
    _breach(sla.a)
    first = dt.date.fromisoformat(f"{_month(sla.a)}-01")
    report = reports.report_build(client=sla.a.client, start=first, end=reports._month_after(first))
    pdf = report_pdf(report)
    assert pdf[:4] == b"%PDF"
    text = b"".join(
        zlib.decompress(stream) for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    ).decode("latin-1")
    assert "Breached (UTC)" not in text and re.search(r"\d\d:\d\d CES?T\)", text), text[:2000]
    assert "95 % or more of targets met" in text  # the trend's legend


def test_no_placeholder_text_in_any_template() -> None:
    words = ("will be shown here", "coming soon", "coming release", "arrives with")
    found = [
        f"{path.relative_to(TEMPLATES)}: {word}"
        for path in TEMPLATES.rglob("*.html")
        for word in words
        if word in path.read_text(encoding="utf-8").lower()
    ]
    assert not found, found


def test_client_and_portal_pages_have_no_placeholder(sla: Any, browser_as: Any) -> None:
    client_page = _text(browser_as(sla.a.technician).get(reverse("tenancy:client", args=[sla.a.client.slug])))
    portal = _text(browser_as(sla.a.client_user).get(reverse("portal:incidents")))
    assert "will be shown" not in client_page and "will be shown" not in portal
    assert f'href="{reverse("sla:report", args=[sla.a.client.slug])}"' in portal
