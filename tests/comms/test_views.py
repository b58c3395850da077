"""Console pages: the policy page, a template's preview and refusal, composing an update (who
receives it, then sent), the incident panel, the leadership view without N+1, contact roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.comms.factories import contact_make, policy_make
from tests.tenancy.factories import ServiceFactory
from watchkeeper.comms.models import ClientUpdate, CommunicationPolicy, ContactRoles, IncidentComms
from watchkeeper.core import clock
from watchkeeper.incidents.services import incident_open

pytestmark = pytest.mark.django_db


def test_the_policy_page_saves_a_rule_table(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    assert http.get("/comms/").status_code == 200
    assert http.post("/comms/policies/new", {"client": ""}).status_code == 302
    policy = CommunicationPolicy.objects.get(client=None)
    saved = http.post(
        f"/comms/policies/{policy.pk}",
        {
            "P1_roles": ["technical", "portal"],
            "P1_events": ["opened", "update"],
            "P1_cadence": "30",
            "P2_roles": ["primary"],
            "P2_events": ["opened"],
            "remind_before_minutes": "10",
        },
    )
    assert saved.status_code == 302
    policy.refresh_from_db()
    assert policy.rules["P1"] == {
        "roles": ["portal", "technical"],
        "events": ["opened", "update"],
        "cadence_minutes": 30,
    }
    assert policy.rules["P2"]["cadence_minutes"] is None and policy.remind_before_minutes == 10
    refused = http.post(f"/comms/policies/{policy.pk}", {"P1_roles": ["technical"], "P1_cadence": "2"})
    assert refused.status_code == 400 and "from 5 to 10080" in refused.content.decode()


def test_a_technician_reads_but_may_not_change_the_default(world: Any, browser_as: Any) -> None:
    policy = policy_make(None, P1=(["technical"], 30))
    http = browser_as(world.a.technician)
    assert http.get("/comms/").status_code == 200
    assert http.post(f"/comms/policies/{policy.pk}", {"P1_cadence": "5"}).status_code == 403


def test_the_template_page_previews_and_refuses_with_the_line(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    page = http.get("/comms/templates/update/")
    assert page.status_code == 200 and "{{ incident.reference }}" in page.content.decode()
    preview = http.post(
        "/comms/templates/update/",
        {
            "subject": "[{{ incident.reference }}]",
            "body": "{{ client.name }}",
            "incident": world.a.incident.pk,
            "preview": "1",
        },
    )
    assert preview.status_code == 200 and world.a.incident.reference in preview.content.decode()
    refused = http.post("/comms/templates/update/", {"subject": "x", "body": "ok\n{% for %}", "save": "1"})
    assert refused.status_code == 400 and "Line 2:" in refused.content.decode()
    assert http.get("/comms/templates/memo/").status_code == 404


def test_compose_shows_who_receives_it_then_sends(world: Any, browser_as: Any) -> None:
    policy_make(world.a.client, **{world.a.incident.priority: (["technical"], 60)})
    contact_make(world.a.client, "Tina Tech", "tina@alpha.example", "technical")
    http = browser_as(world.a.technician)
    url = f"/comms/incidents/{world.a.incident.pk}/update/"
    page = http.get(url).content.decode()
    assert "Tina Tech" in page and "tina@alpha.example" in page
    assert http.post(url, {"text": ""}).status_code == 400
    sent = http.post(url, {"text": "Restoring the server.", "action": "Restore from backup"})
    assert sent.status_code == 302
    update = ClientUpdate.objects.get(incident=world.a.incident)
    assert [d.address for d in update.deliveries.all()] == ["tina@alpha.example"]
    incident_page = http.get(f"/incidents/{world.a.incident.pk}/").content.decode()
    assert "Client communication" in incident_page and "tina@alpha.example" in incident_page
    assert "queued" in incident_page
    # On the timeline entry itself: who it was e-mailed to, and the state.
    assert 'aria-label="E-mailed to"' in incident_page
    assert browser_as(world.b.technician).get(url).status_code == 404


def test_next_update_by_sets_the_due_time(world: Any, api_as: Any) -> None:
    policy_make(world.a.client, **{world.a.incident.priority: (["technical"], 60)})
    promised = clock.now() + dt.timedelta(minutes=20)
    api_as(world.a.technician).post(
        f"/api/v1/incidents/{world.a.incident.pk}/client-updates",
        {"text": "x", "next_update_by": promised.isoformat()},
    )
    state = IncidentComms.objects.get(incident=world.a.incident)
    assert state.next_update_due_at == promised.replace(microsecond=promised.microsecond)


def test_leadership_view_lists_p1_p2_across_clients_in_constant_queries(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)

    def open_p1(n: int) -> None:
        for client in (world.a.client, world.b.client):
            for i in range(n):
                service = ServiceFactory(client=client, name=f"{client.slug} {n} {i}")
                incident_open(
                    client=client,
                    service=service,
                    title=f"Down {i}",
                    impact="high",
                    urgency="high",
                    by="monitoring",
                )

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            page = http.get("/comms/leadership/")
        assert page.status_code == 200
        return len(captured), page.content.decode()

    open_p1(1)
    queries()  # the session's first request does its own bookkeeping
    few, page = queries()
    assert world.a.client.name in page and world.b.client.name in page
    open_p1(5)
    assert queries()[0] == few
    # A technician of one client sees only that client's.
    page = browser_as(world.a.technician).get("/comms/leadership/").content.decode()
    assert world.b.client.name not in page


def test_contact_roles_from_the_client_page(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    page = http.get(f"/clients/{world.a.client.slug}/").content.decode()
    assert "Who hears about incidents" in page
    assert (
        http.post(f"/comms/contacts/{world.a.contact.pk}/roles", {"roles": ["technical"]}).status_code == 302
    )
    assert ContactRoles.objects.get(contact=world.a.contact).roles == ["technical"]
    assert (
        browser_as(world.b.technician)
        .post(f"/comms/contacts/{world.a.contact.pk}/roles", {"roles": ["billing"]})
        .status_code
        == 404
    )


def test_times_typed_in_the_form_are_in_the_users_zone(world: Any, browser_as: Any) -> None:
    from zoneinfo import ZoneInfo

    world.a.technician.timezone = "Europe/Berlin"
    world.a.technician.save(update_fields=["timezone"])
    promised = (
        (clock.now() + dt.timedelta(hours=1))
        .astimezone(ZoneInfo("Europe/Berlin"))
        .replace(second=0, microsecond=0)
    )
    http = browser_as(world.a.technician)
    sent = http.post(
        f"/comms/incidents/{world.a.incident.pk}/update/",
        {"text": "x", "next_update_by": promised.strftime("%Y-%m-%dT%H:%M")},
    )
    assert sent.status_code == 302
    assert IncidentComms.objects.get(incident=world.a.incident).next_update_by == promised
