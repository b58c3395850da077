"""The incident's life as technician and client see it, in a real browser: waiting on the
client, the client's reply in the portal, the "client replied" mark, and the portal's words."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import make_tenant
from tests.paging.factories import client_policy
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.services.escalation import escalation_reconcile

pytestmark = pytest.mark.slow


def test_a_client_answers_what_the_technician_asked(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    incident = tenant.incident
    client_policy(tenant)
    escalation_reconcile(incident_id=incident.pk, changed_at=clock.now())  # level 1 pages
    sign_in(page, tenant.technician.email)
    page.goto(f"/incidents/{incident.pk}/")
    page.get_by_role("button", name="Acknowledge").click()
    wait = page.locator("details#wait")
    expect(wait.get_by_label("Waiting on")).to_be_hidden()  # folded: waiting is not the everyday action
    wait.locator("summary").click()
    page.get_by_label("Waiting on").select_option("waiting_client")
    page.get_by_label("What is needed").fill("Which printer shows the error?")
    page.get_by_role("button", name="Wait").click()
    expect(page.locator(".incident-head .badge.waiting_client")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, tenant.client_user.email)
    page.goto(f"/portal/incidents/{incident.pk}/")
    expect(page.locator(".badge.client-waiting-you")).to_have_text("Waiting for you")
    expect(page.get_by_text("We need something from you before we can go on: Which printer")).to_be_visible()
    page.locator("#comment-text").fill("The one at reception")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".badge.client-working")).to_have_text("Being worked on")
    shot(page, "portal-incident")

    page.context.clear_cookies()
    sign_in(page, tenant.technician.email)
    page.goto(f"/incidents/{incident.pk}/")
    expect(page.locator(".incident-head .badge.client-replied")).to_be_visible()
    shot(page, "incident-client-replied")
    assert Incident.objects.get(pk=incident.pk).status == "acknowledged"
