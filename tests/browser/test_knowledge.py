"""The knowledge base and runbooks in a browser: a technician follows the runbook the incident
page suggests, ticking a step, then finds an article by searching."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import make_tenant
from watchkeeper.knowledge.runbooks import runbook_create
from watchkeeper.knowledge.services import article_create


def test_runbook_on_the_incident_page_and_search(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    runbook_create(
        actor="test", client=tenant.client, title="Practice server unreachable",
        service_ids=[tenant.service.pk],
        steps=[{"kind": "check", "text": "Ping the server"}, {"kind": "check", "text": "Restart the VM"}],
    )  # fmt: skip
    article_create(
        actor="test", client=None, title="Restarting a Hyper-V VM", body="Use **Hyper-V Manager**."
    )
    sign_in(page, tenant.technician.email)
    page.goto(f"/incidents/{tenant.incident.pk}/")
    panel = page.locator("#runbooks")
    panel.get_by_role("button", name="Start").click()
    expect(page.locator("#runbooks")).to_contain_text("started by")
    page.locator("#runbooks").get_by_title("Tick this step").first.click()
    expect(page.locator("#runbooks s")).to_have_text("Ping the server")
    expect(page.locator("ol.timeline")).to_contain_text("step 1 done: Ping the server")
    shot(page, "incident-runbook")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    page.get_by_label("Search the knowledge base").fill("hyper restart")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Restarting a Hyper-V VM").click()
    expect(page.locator("article.markdown strong")).to_have_text("Hyper-V Manager")
    shot(page, "kb-article")
