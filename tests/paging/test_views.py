"""Console pages of paging: the panels on the account and incident pages, policies, the log."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.paging.factories import client_policy, technician_log
from watchkeeper.paging.models import ContactMethod, IncidentEscalation, NotificationRule

pytestmark = pytest.mark.django_db


def test_the_account_page_adds_a_contact_method_with_a_rule(world: Any, browser_as: Any) -> None:
    tech = world.a.technician
    browser = browser_as(tech)
    page = browser.get("/accounts/")
    assert page.status_code == 200
    assert "How you are paged" in page.content.decode()
    response = browser.post(
        "/paging/contact-methods/",
        {"kind": "email", "label": "Home", "address": "me@home.example", "delay_minutes": "5"},
    )
    assert response.status_code == 302
    method = ContactMethod.objects.get(user=tech)
    assert method.address == "me@home.example"
    assert NotificationRule.objects.get(user=tech).delay_minutes == 5
    assert "me@home.example" in browser.get("/accounts/").content.decode()


def test_a_bad_address_from_the_form_is_shown_not_stored(world: Any, browser_as: Any) -> None:
    browser = browser_as(world.a.technician)
    response = browser.post("/paging/contact-methods/", {"kind": "email", "address": "nope"}, follow=True)
    assert "valid e-mail address" in response.content.decode()
    assert not ContactMethod.objects.exists()


def test_the_incident_page_offers_escalation_and_it_works(world: Any, browser_as: Any) -> None:
    client_policy(world.a)
    browser = browser_as(world.a.technician)
    page = browser.get(f"/incidents/{world.a.incident.pk}/")
    assert "Escalate now" in page.content.decode()
    response = browser.post(f"/paging/incidents/{world.a.incident.pk}/escalate", {"level": "1"})
    assert response.status_code == 302
    assert IncidentEscalation.objects.get(incident=world.a.incident).state == "active"
    bad = browser.post(f"/paging/incidents/{world.a.incident.pk}/escalate", {"level": "9"})
    assert bad.status_code == 400


def test_policy_pages_and_the_log_render_with_few_queries(world: Any, browser_as: Any) -> None:
    policy = client_policy(world.a)
    technician_log(world.a)
    browser = browser_as(world.a.technician)
    assert world.a.technician.full_name in browser.get(f"/paging/policies/{policy.pk}/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        listing = browser.get("/paging/policies/")
    assert policy.name in listing.content.decode()
    assert len(queries) < 15
    log = browser.get("/paging/notifications/")
    assert "server down" in log.content.decode()


def test_portal_users_have_no_paging_pages(world: Any, browser_as: Any) -> None:
    browser = browser_as(world.a.client_admin)
    assert browser.get("/paging/policies/").status_code == 403
    assert "How you are paged" not in browser.get("/accounts/").content.decode()
