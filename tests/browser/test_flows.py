"""The screens people work in, driven in a real browser: sign-in, triage, the portal request
flow, and isolation by URL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import make_tenant
from watchkeeper.incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.slow


def testsign_in(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    page.goto("/incidents/")
    assert "/accounts/login/" in page.url  # signed out: to the sign-in page
    shot(page, "sign-in")
    page.get_by_label("Email").fill(tenant.technician.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    assert "/accounts/login/" in page.url
    sign_in(page, tenant.technician.email)
    assert page.url.endswith("/incidents/")  # staff land on the queue
    page.goto("/clients/")
    expect(page.get_by_text("Alpha Dental").first).to_be_visible()
    shot(page, "clients")


def test_triage_acknowledge_assign_note_resolve(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    incident = tenant.incident
    sign_in(page, tenant.technician.email)
    page.goto("/incidents/")
    row = page.locator(f"tr[data-incident='{incident.pk}']")
    expect(row).to_be_visible()
    shot(page, "queue")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")  # the first row becomes current
    expect(row).to_have_class(re.compile("current"))
    page.keyboard.press("a")  # acknowledge it from the keyboard
    expect(page.get_by_text("Acknowledged 1 incident")).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    page.keyboard.press("j")
    page.keyboard.press("o")  # open it
    page.wait_for_url(f"**/incidents/{incident.pk}/")
    # Acknowledging an incident nobody owned made them the owner: nothing to take.
    expect(page.get_by_role("button", name="Take ownership")).to_have_count(0)
    page.locator("#note-text").fill("Rebooted the **core switch**; watching it")
    page.get_by_label(re.compile("Client-visible update")).check()
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".timeline strong", has_text="core switch")).to_be_visible()
    page.get_by_label("Resolution note").fill("Switch replaced")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text(f"Resolved {incident.reference}")).to_be_visible()
    shot(page, "incident")
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.owner_id == tenant.technician.pk
    assert TimelineEntry.objects.filter(incident=incident, client_visible=True).count() == 1


def test_queue_refreshes_by_itself(page: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    sign_in(page, tenant.technician.email)
    page.goto("/incidents/")
    from watchkeeper.incidents.services import incident_open

    fresh = incident_open(
        client=tenant.client, service=tenant.service, title="Appeared while watching",
        impact="high", urgency="high", by="test",
    )  # fmt: skip
    page.locator(f"tr[data-incident='{fresh.pk}']").wait_for(timeout=20_000)  # the 10 s poll


def test_portal_request_flow(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    sign_in(page, tenant.client_user.email)
    page.goto("/portal/")
    shot(page, "portal")
    page.get_by_role("link", name="Report a problem").first.click()
    page.get_by_label("Something is broken or not working").check()
    page.get_by_label(re.compile("What it is about|service", re.I)).select_option(str(tenant.service.pk))
    page.get_by_label(re.compile("In one line")).fill("Nobody at reception can print")
    page.get_by_label(re.compile("Anything that helps")).fill("Since 9:00; restarted the printer")
    page.get_by_label("A team or a department").check()
    page.get_by_label("Yes, but slowly or with a workaround").check()
    shot(page, "portal-request")
    page.get_by_role("button", name="Send to our IT provider").click()
    page.wait_for_url(re.compile(r"/portal/incidents/\d+/$"))
    incident = Incident.objects.get(title="Nobody at reception can print")
    assert page.url.endswith(f"/portal/incidents/{incident.pk}/")
    expect(page.get_by_text(f"We have it as {incident.reference}")).to_be_visible()
    assert incident.priority == "P3"
    page.get_by_label(re.compile("Add a comment")).fill("It is the whole first floor")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("It is the whole first floor")).to_be_visible()
    shot(page, "portal-incident")
    page.goto("/portal/incidents/")
    expect(page.get_by_role("link", name=incident.reference)).to_be_visible()


def test_portal_user_cannot_open_another_clients_incident_by_url(page: Any, shot: Any) -> None:
    alpha, bravo = make_tenant("Alpha Dental"), make_tenant("Bravo Logistics")
    sign_in(page, alpha.client_user.email)
    for url in (f"/portal/incidents/{bravo.incident.pk}/", f"/incidents/{bravo.incident.pk}/"):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        assert "Bravo" not in page.content()
    shot(page, "portal-not-found")
    response = page.goto("/incidents/")
    assert response is not None and response.status == 403
