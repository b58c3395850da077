"""Finding and reading an SLA report in a real browser: Reports in the main menu, the client's
month, the trend chart's legend, and a breach that opens its incident."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import make_tenant
from tests.sla.factories import calendar_make, policy_make
from watchkeeper.core import clock
from watchkeeper.sla.models import SlaBreach, SlaClock
from watchkeeper.sla.services import sla_incident_reconcile

pytestmark = pytest.mark.slow


def test_a_technician_finds_a_report_reads_its_legend_and_opens_a_breach(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    calendar_make()
    policy_make(tier="standard")
    incident = tenant.incident
    sla_incident_reconcile(incident_id=incident.pk)
    SlaClock.objects.filter(incident=incident, kind="response").update(state="met", met_at=clock.now())
    SlaBreach.objects.create(
        client=tenant.client, incident=incident, kind="resolution", priority=incident.priority,
        target_minutes=960, opened_at=incident.opened_at, due_at=clock.now(), breached_at=clock.now(),
    )  # fmt: skip
    SlaClock.objects.filter(incident=incident, kind="resolution").update(
        state="breached", breached_at=clock.now()
    )
    month = incident.opened_at.strftime("%Y-%m")

    sign_in(page, tenant.technician.email)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Reports", exact=True).click()  # the bar's Reports menu
    nav.get_by_role("link", name="SLA reports").click()
    expect(page.get_by_role("heading", name="SLA reports")).to_be_visible()
    page.get_by_label("Client").select_option(tenant.client.slug)
    page.get_by_role("button", name="Show").click()
    row = page.locator("table.report-index tbody tr").first  # this month: the newest first
    expect(row).to_contain_text("50.0 %")
    expect(row.get_by_role("link", name="PDF of Alpha Dental")).to_have_attribute(
        "href", re.compile(rf"/pdf\?month={month}$")
    )
    shot(page, "sla-reports")

    row.get_by_role("link", name="Open").click()
    expect(page.get_by_role("heading", name="SLA report: Alpha Dental")).to_be_visible()
    legend = page.get_by_role("list", name="Legend")
    expect(legend).to_be_visible()
    expect(legend.get_by_role("listitem")).to_have_count(4)
    expect(legend).to_contain_text("95 % or more of targets met")
    shot(page, "sla-report")

    breaches = page.locator("section", has=page.get_by_role("heading", name="Breaches"))
    expect(breaches).to_contain_text("Resolution (16 h)")
    breaches.get_by_role("link", name=incident.reference).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
    expect(page.get_by_text(incident.title).first).to_be_visible()

    page.goto("/sla/")
    expect(page.get_by_role("button", name="SLA reports")).to_be_visible()
    expect(page.locator("td", has_text=re.compile(r"^16 h$")).first).to_be_visible()  # 960 minutes
    shot(page, "sla-policies")
    page.goto("/incidents/")
    expect(page.locator(".sla-legend")).to_contain_text("F first response")
    shot(page, "queue-sla-legend")
