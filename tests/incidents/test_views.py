"""Console pages for incidents: the list, the incident page and its actions, a new incident."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident, TimelineKind
from watchkeeper.incidents.services import (
    incident_assign,
    incident_note,
    incident_open,
    incident_resolve,
    timeline_add,
)

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _open(tenant: Any, title: str, impact: str = "medium", urgency: str = "medium", **kw: Any) -> Incident:
    return incident_open(
        client=tenant.client,
        service=tenant.service,
        title=title,
        impact=impact,
        urgency=urgency,
        by="test",
        **kw,
    )


def _detail(incident: Incident) -> str:
    return reverse("incidents:detail", kwargs={"incident_id": incident.pk})


def _action(name: str, incident: Incident) -> str:
    return reverse(f"incidents:{name}", kwargs={"incident_id": incident.pk})


# --- the list ----------------------------------------------------------------------------------


def test_list_is_sorted_by_priority_then_age(world: Any, browser_as: Any) -> None:
    clock.freeze(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC))
    older_p3 = _open(world.a, "Older P3")
    clock.advance(dt.timedelta(minutes=5))
    p1 = _open(world.a, "Database down", impact="high", urgency="high")
    clock.advance(dt.timedelta(minutes=5))
    newer_p3 = _open(world.a, "Newer P3")
    body = _text(browser_as(world.a.technician).get(reverse("incidents:list")))
    positions = [
        body.index(title)
        for title in ("Database down", "Practice server unreachable", "Older P3", "Newer P3")
    ]
    assert positions == sorted(positions)
    assert p1.reference in body and f'class="badge {p1.priority}"' in body
    assert older_p3.reference.startswith(world.a.client.slug.upper())
    assert newer_p3.reference in body


def test_list_filters(world: Any, browser_as: Any) -> None:
    tech = world.a.technician
    mine = _open(world.a, "Printer jam at reception", impact="low", urgency="low")
    incident_assign(incident=mine, by=tech, owner=tech)
    done = _open(world.a, "Resolved yesterday")
    incident_resolve(incident=done, by=tech)
    other_service = ServiceFactory(client=world.a.client, name="Phones")
    phones = incident_open(
        client=world.a.client,
        service=other_service,
        title="Phones dead",
        impact="high",
        urgency="low",
        by="x",
    )
    http = browser_as(tech)

    def shown(**params: str) -> str:
        response = http.get(reverse("incidents:list"), params)
        assert response.status_code == 200
        return _text(response)

    assert "Resolved yesterday" not in shown()
    assert "Resolved yesterday" in shown(status="resolved") and "Printer jam" not in shown(status="resolved")
    assert "Resolved yesterday" in shown(status="all")
    assert "Printer jam" in shown(owner="mine") and "Phones dead" not in shown(owner="mine")
    assert "Printer jam" not in shown(owner="none") and "Phones dead" in shown(owner="none")
    assert "Printer jam" in shown(priority="P5") and "Phones dead" not in shown(priority="P5")
    assert "Phones dead" in shown(client=world.a.client.slug, service=str(other_service.pk))
    assert "Printer jam" not in shown(client=world.a.client.slug, service=str(other_service.pk))
    assert "Phones dead" in shown(q=phones.reference) and "Printer jam" not in shown(q=phones.reference)
    assert "Printer jam" in shown(q="printer")
    assert http.get(reverse("incidents:list"), {"client": world.b.client.slug}).status_code == 404
    assert http.get(reverse("incidents:list"), {"status": "sideways"}).status_code == 400


def test_list_never_shows_another_tenant(world: Any, browser_as: Any) -> None:
    body = _text(browser_as(world.b.technician).get(reverse("incidents:list"), {"status": "all"}))
    assert world.b.incident.reference in body
    assert world.a.incident.reference not in body


def test_list_has_no_n_plus_one(world: Any, browser_as: Any, django_assert_max_num_queries: Any) -> None:
    http = browser_as(world.owner)
    http.get(reverse("incidents:list"))
    with django_assert_max_num_queries(20) as few:
        http.get(reverse("incidents:list"))
    for n in range(12):
        incident = _open(world.b if n % 2 else world.a, f"Incident {n}")
        incident_assign(incident=incident, by="test", owner=world.owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(reverse("incidents:list"))
    assert "Incident 11" in _text(response)


def test_empty_list_is_helpful(db: Any, browser_as: Any) -> None:
    ServiceFactory()
    body = _text(browser_as(UserFactory(role=Role.OWNER)).get(reverse("incidents:list")))
    assert "No open incidents" in body
    assert reverse("incidents:new") in body
    assert "Show earlier incidents" in body


def test_portal_users_have_no_incident_pages(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.client_user)
    assert http.get(reverse("incidents:list")).status_code == 403
    assert http.get(_detail(world.a.incident)).status_code == 404


# --- the incident page ---------------------------------------------------------------------------


def test_incident_page_shows_header_timeline_and_alerts(world: Any, browser_as: Any) -> None:
    tech = world.a.technician
    tech.timezone = "America/New_York"
    tech.save(update_fields=["timezone"])
    clock.freeze(dt.datetime(2025, 7, 1, 14, 30, tzinfo=dt.UTC))
    incident_note(incident=world.a.incident, by=tech, text="Rebooted the switch")
    body = _text(browser_as(tech).get(_detail(world.a.incident)))
    assert world.a.incident.reference in body and world.a.incident.title in body
    assert world.a.service.name in body and world.a.client.name in body
    assert "Rebooted the switch" in body
    assert "10:30 EDT" in body  # the note's time in the technician's zone
    assert tech.full_name in body
    assert world.a.alert.summary in body
    for action in ("acknowledge", "resolve", "note", "priority", "assign"):
        assert _action(action, world.a.incident) in body


def test_incident_page_queries_do_not_grow_with_the_timeline(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    http = browser_as(world.a.technician)
    http.get(_detail(world.a.incident))
    with django_assert_max_num_queries(34) as few:  # the page with its review link and comms panel
        http.get(_detail(world.a.incident))
    for n in range(10):
        incident_note(incident=world.a.incident, by=world.a.technician, text=f"Note {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(_detail(world.a.incident))
    assert "Note 9" in _text(response)


def test_acknowledge_resolve_reopen_close(world: Any, browser_as: Any) -> None:
    incident, http = world.a.incident, browser_as(world.a.technician)
    assert http.post(_action("acknowledge", incident)).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    http.post(_action("resolve", incident), {"note": "Replaced the PSU"})
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.timeline.filter(text="Resolved: Replaced the PSU").exists()
    http.post(_action("reopen", incident), {"reason": "It failed again"})
    incident.refresh_from_db()
    assert (incident.status, incident.reopened_count) == ("triggered", 1)
    http.post(_action("resolve", incident), {"note": ""})
    response = http.post(_action("close", incident), follow=True)
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert f"Closed {incident.reference}" in _text(response)
    actor_ids = set(incident.timeline.filter(kind=TimelineKind.STATUS).values_list("actor", flat=True))
    assert actor_ids == {world.a.technician.pk}


def test_refused_actions_show_the_page_with_the_reason(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    response = http.post(_action("close", world.a.incident))
    assert response.status_code == 409
    assert "before closing it" in _text(response)
    empty_note = http.post(_action("note", world.a.incident), {"text": ""})
    assert empty_note.status_code == 400
    unknown_level = http.post(_action("priority", world.a.incident), {"impact": "cosmic", "urgency": "high"})
    assert unknown_level.status_code == 400


def test_note_priority_and_owner(world: Any, browser_as: Any) -> None:
    incident, tech = world.a.incident, world.a.technician
    http = browser_as(tech)
    http.post(_action("note", incident), {"text": "Called the ISP"})
    http.post(_action("priority", incident), {"impact": "low", "urgency": "low"})
    http.post(_action("assign", incident), {"owner": "me"})
    incident.refresh_from_db()
    assert (incident.priority, incident.owner) == ("P5", tech)
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds[-3:] == [TimelineKind.NOTE, TimelineKind.PRIORITY, TimelineKind.OWNER]
    colleague = UserFactory(role=Role.TECHNICIAN, all_clients=True)
    http.post(_action("assign", incident), {"owner": str(colleague.pk)})
    incident.refresh_from_db()
    assert incident.owner == colleague
    http.post(_action("assign", incident), {"owner": ""})
    incident.refresh_from_db()
    assert incident.owner is None


def test_owner_choices_are_people_who_work_on_the_client(world: Any, browser_as: Any) -> None:
    body = _text(browser_as(world.a.technician).get(_detail(world.a.incident)))
    assert f'value="{world.a.technician.pk}"' in body
    assert f'value="{world.b.technician.pk}"' not in body
    assert f'value="{world.owner.pk}"' in body


def test_assigning_someone_of_another_client_is_refused(world: Any, browser_as: Any) -> None:
    response = browser_as(world.a.technician).post(
        _action("assign", world.a.incident), {"owner": str(world.b.technician.pk)}
    )
    assert response.status_code == 400
    world.a.incident.refresh_from_db()
    assert world.a.incident.owner is None


def test_actions_on_another_tenants_incident_are_404_and_change_nothing(world: Any, browser_as: Any) -> None:
    http = browser_as(world.b.technician)
    for name in ("acknowledge", "resolve", "reopen", "close", "note", "priority", "assign"):
        data = {"text": "x", "impact": "low", "urgency": "low", "owner": "me"}
        assert http.post(_action(name, world.a.incident), data).status_code == 404, name
    incident = Incident.objects.get(pk=world.a.incident.pk)
    assert (incident.status, incident.priority, incident.owner_id) == ("triggered", "P2", None)
    assert incident.timeline.count() == 1


# --- a new incident ----------------------------------------------------------------------------


def test_new_incident_from_a_phone_call(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    form = http.get(reverse("incidents:new"), {"client": world.a.client.slug})
    assert form.status_code == 200
    assert world.a.service.name in _text(form) and world.b.client.name not in _text(form)
    data = {
        "client": world.a.client.slug, "service": world.a.service.pk, "title": "Reception cannot print",
        "description": "Marisol called at 9:05", "impact": "medium", "urgency": "high",
        "category": "endpoint",
    }  # fmt: skip
    response = http.post(reverse("incidents:new"), data)
    incident = Incident.objects.get(title="Reception cannot print")
    assert response.status_code == 302 and response["Location"] == _detail(incident)
    assert (incident.priority, incident.category) == ("P2", "endpoint")
    opened = incident.timeline.get(kind=TimelineKind.OPENED)
    assert opened.actor == world.a.technician


def test_new_incident_refuses_other_tenants_and_mismatched_services(world: Any, browser_as: Any) -> None:
    http = browser_as(world.b.technician)
    base = {"title": "Planted", "impact": "high", "urgency": "high"}
    other_client = http.post(
        reverse("incidents:new"), {**base, "client": world.a.client.slug, "service": world.a.service.pk}
    )
    assert other_client.status_code == 400
    mismatch = http.post(
        reverse("incidents:new"), {**base, "client": world.b.client.slug, "service": world.a.service.pk}
    )
    assert mismatch.status_code == 400
    assert not Incident.objects.filter(title="Planted").exists()


def test_portal_users_cannot_open_incidents_here(world: Any, browser_as: Any) -> None:
    assert browser_as(world.a.client_admin).get(reverse("incidents:new")).status_code == 403


def test_client_page_links_its_incidents_and_integrations(world: Any, browser_as: Any) -> None:
    body = _text(
        browser_as(world.a.technician).get(reverse("tenancy:client", kwargs={"slug": world.a.client.slug}))
    )
    assert f"{reverse('incidents:list')}?client={world.a.client.slug}" in body
    assert f"{reverse('alerts:integrations')}?client={world.a.client.slug}" in body


def test_wait_and_resume_buttons(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    page = _text(http.get(_detail(world.a.incident)))
    assert "Waiting on client" in page and "Wait" in page
    response = http.post(reverse("incidents:wait", args=[world.a.incident.pk]), {"status": "waiting_client"})
    assert response.status_code == 302
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == "waiting_client"
    assert "Resume" in _text(http.get(_detail(world.a.incident)))
    bad = http.post(reverse("incidents:wait", args=[world.a.incident.pk]), {"status": "nonsense"})
    assert bad.status_code == 400
    http.post(reverse("incidents:resume", args=[world.a.incident.pk]))
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == "acknowledged"


def test_old_delivery_records_show_no_server_path(
    world: Any, browser_as: Any, api_as: Any, settings: Any
) -> None:
    """Pages kept as files were recorded by earlier versions as "written to a file in <EMAIL_FILE_PATH>":
    the incident page and the API show those rows without the folder."""
    settings.EMAIL_FILE_PATH = "/srv/watchkeeper (prod)/var/mail"
    old = "no SMTP server set: written to a file in /srv/watchkeeper (prod)/var/mail"
    timeline_add(
        incident=world.a.incident, kind=TimelineKind.PAGE,
        text=f"Page to Alice by account e-mail alice@msp.example: sent ({old})",
        data={"message": 1, "state": "sent", "response": old},
    )  # fmt: skip
    body = _text(browser_as(world.a.technician).get(_detail(world.a.incident)))
    shown = "alice@msp.example: sent (no SMTP server set: kept as a file on the server)"
    assert shown in body
    assert "/srv/" not in body and "var/mail" not in body
    answer = api_as(world.a.technician).get(f"/api/v1/incidents/{world.a.incident.pk}")
    assert answer.status_code == 200
    assert "/srv/" not in answer.content.decode()
    (entry,) = [e for e in answer.json()["timeline"] if e["kind"] == "page"]
    assert entry["data"]["response"] == "no SMTP server set: kept as a file on the server"
