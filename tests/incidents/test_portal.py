"""The client portal: own incidents only, client-visible updates only, plain-words requests,
comments."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from watchkeeper.core.errors import InvalidInput
from watchkeeper.incidents.models import Incident, TimelineEntry, TimelineKind
from watchkeeper.incidents.portal import portal_levels, portal_request_open
from watchkeeper.incidents.services import (
    incident_acknowledge,
    incident_note,
    incident_resolve,
    incident_resume,
    incident_set_waiting,
)
from watchkeeper.policy.models import Policy

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("people", "working", "expected"),
    [
        ("many", "stopped", ("high", "high")),
        ("team", "slowed", ("medium", "medium")),
        ("one", "fine", ("low", "low")),
        ("one", "stopped", ("low", "high")),
    ],
)
def test_plain_words_map_onto_the_policy_levels(db: None, people: str, working: str, expected: Any) -> None:
    assert portal_levels(people=people, working=working) == expected


def test_unknown_answer_is_a_clear_error(db: None) -> None:
    with pytest.raises(InvalidInput, match="How many people are affected"):
        portal_levels(people="lots", working="fine")


def test_portal_lists_only_the_own_clients_incidents(world: Any, browser_as: Any) -> None:
    body = _text(browser_as(world.a.client_user).get(reverse("portal:incidents")))
    assert world.a.incident.reference in body
    assert world.b.incident.reference not in body and world.b.client.name not in body


def test_portal_shows_only_client_visible_entries(world: Any, browser_as: Any) -> None:
    incident = world.a.incident
    incident_note(incident=incident, by=world.a.technician, text="Internal: the vendor is slow again")
    incident_note(
        incident=incident, by=world.a.technician, text="We are **restoring** it", client_visible=True
    )
    response = browser_as(world.a.client_user).get(reverse("portal:incident", args=[incident.pk]))
    body = _text(response)
    assert response.status_code == 200
    assert "<strong>restoring</strong>" in body  # Markdown rendered
    assert "vendor is slow" not in body
    assert "Practice server unreachable" in body


def test_another_clients_incident_is_404_and_staff_are_refused(world: Any, browser_as: Any) -> None:
    url = reverse("portal:incident", args=[world.b.incident.pk])
    assert browser_as(world.a.client_user).get(url).status_code == 404
    own = reverse("portal:incident", args=[world.a.incident.pk])
    assert browser_as(world.a.technician).get(own).status_code == 404  # staff: no portal view
    assert browser_as(world.a.technician).get(reverse("portal:incidents")).status_code == 403


def test_request_in_plain_words_opens_an_incident(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.client_user)
    form = {
        "kind": "problem", "service": world.a.service.pk, "title": "Nobody can print",
        "description": "Since 9:00, all printers", "people": "team", "working": "slowed",
    }  # fmt: skip
    response = http.post(reverse("portal:new"), form)
    incident = Incident.objects.get(title="Nobody can print")
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:incident", args=[incident.pk]
    )
    assert (incident.impact, incident.urgency, incident.priority) == ("medium", "medium", "P3")
    first = TimelineEntry.objects.get(incident=incident, client_visible=True)
    assert "A team or a department" in first.text and "Since 9:00" in first.text
    assert first.actor == world.a.client_user
    assert "Nobody can print" in _text(http.get(response["Location"]))


def test_request_for_another_clients_service_is_400_and_writes_nothing(world: Any, browser_as: Any) -> None:
    form = {
        "kind": "problem",
        "service": world.b.service.pk,
        "title": "X",
        "people": "one",
        "working": "fine",
    }
    before = Incident.objects.count()
    response = browser_as(world.a.client_user).post(reverse("portal:new"), form)
    assert response.status_code == 400 and Incident.objects.count() == before
    with pytest.raises(InvalidInput):
        portal_request_open(
            user=world.a.client_user, service=world.b.service, kind="problem", title="X",
            description="", people="one", working="fine",
        )  # fmt: skip


def test_missing_answers_are_400_with_the_question(world: Any, browser_as: Any) -> None:
    response = browser_as(world.a.client_user).post(reverse("portal:new"), {"title": "Help"})
    assert response.status_code == 400
    assert "How many people are affected?" in _text(response)


def test_comment_is_a_client_visible_entry_by_the_client_user(world: Any, browser_as: Any) -> None:
    incident = world.a.incident
    http = browser_as(world.a.client_user)
    response = http.post(
        reverse("portal:comment", args=[incident.pk]), {"text": "It is back <script>x</script>"}
    )
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.COMMENT)
    assert entry.client_visible and entry.actor == world.a.client_user
    raw = http.get(reverse("portal:incident", args=[incident.pk])).content.decode()
    assert "It is back" in raw and "<script>x</script>" not in raw
    assert http.post(reverse("portal:comment", args=[incident.pk]), {"text": " "}).status_code == 400
    other = reverse("portal:comment", args=[world.b.incident.pk])
    assert http.post(other, {"text": "hi"}).status_code == 404


def test_past_incidents_and_empty_states(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.client_user)
    assert "Nothing open right now" not in _text(http.get(reverse("portal:incidents")))
    incident_resolve(incident=world.a.incident, by="t")
    assert "Nothing open right now" in _text(http.get(reverse("portal:incidents")))
    assert world.a.incident.reference in _text(http.get(reverse("portal:incidents") + "?show=past"))


def test_portal_list_queries_are_bounded(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        portal_request_open(
            user=world.a.client_user, service=world.a.service, kind="request", title=f"Laptop {n}",
            description="", people="one", working="fine",
        )  # fmt: skip
    http = browser_as(world.a.client_user)
    with django_assert_max_num_queries(12):
        assert http.get(reverse("portal:incidents")).status_code == 200


def _badge(page: str) -> str:
    start = page.index('class="badge client-')
    return page[start : page.index("</span>", start)]


def test_the_portal_says_where_an_incident_stands_in_the_client_s_words(world: Any, browser_as: Any) -> None:
    http, incident, tech = browser_as(world.a.client_user), world.a.incident, world.a.technician
    url = reverse("portal:incident", args=[incident.pk])

    page = _text(http.get(url))  # nobody has acknowledged it yet
    assert _badge(page) == 'class="badge client-received">Received'
    assert "Being worked on" not in page
    assert "Received" in _text(http.get(reverse("portal:incidents")))

    incident_acknowledge(incident=incident, by=tech)
    assert _badge(_text(http.get(url))) == 'class="badge client-working">Being worked on'

    incident_set_waiting(incident=incident, by=tech, status="waiting_client", note="Which printer is it?")
    page = _text(http.get(url))
    assert _badge(page) == 'class="badge client-waiting-you">Waiting for you'
    assert "We need something from you before we can go on: Which printer is it?" in page
    incident_resume(incident=incident, by=tech)
    incident_set_waiting(incident=incident, by=tech, status="waiting_vendor", note="internal: RMA 4411")
    page = _text(http.get(url))
    assert _badge(page) == 'class="badge client-supplier">Waiting on a supplier'
    assert "RMA 4411" not in page  # a vendor note stays internal

    incident_resolve(incident=incident, by=tech, note="Replaced the fuser", client_visible=True)
    page = _text(http.get(url))
    assert _badge(page) == 'class="badge client-resolved">Resolved'
    assert "This is resolved: Replaced the fuser" in page
    assert "working on it" not in page


def test_an_unshared_resolution_note_stays_internal(world: Any, browser_as: Any) -> None:
    incident_resolve(incident=world.a.incident, by=world.a.technician, note="root password was wrong")
    page = _text(browser_as(world.a.client_user).get(reverse("portal:incident", args=[world.a.incident.pk])))
    assert "This is resolved." in page and "root password" not in page


def test_a_client_reply_is_marked_in_the_queue_until_a_technician_acts(world: Any, browser_as: Any) -> None:
    incident, tech = world.a.incident, world.a.technician
    incident_set_waiting(incident=incident, by=tech, status="waiting_client", note="Which printer is it?")
    portal = browser_as(world.a.client_user)
    reply = portal.post(reverse("portal:comment", args=[incident.pk]), {"text": "The one at reception"})
    assert reply.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.client_replied_at is not None  # the wait ended
    assert incident.timeline.filter(text="Resumed: the client replied", data__client_reply=True).exists()

    console = browser_as(tech)
    assert "client replied" in _text(console.get(reverse("incidents:list")))
    assert "client replied" in _text(console.get(reverse("incidents:detail", args=[incident.pk])))
    incident_note(incident=incident, by=tech, text="Printer at reception: replacing the toner")
    incident.refresh_from_db()
    assert incident.client_replied_at is None
    assert "client replied" not in _text(console.get(reverse("incidents:list")))


def test_with_the_policy_s_resume_off_a_reply_only_marks_the_incident(world: Any, browser_as: Any) -> None:
    Policy.objects.update(resume_on_client_reply=False)
    incident, tech = world.a.incident, world.a.technician
    incident_set_waiting(incident=incident, by=tech, status="waiting_client", note="Which printer is it?")
    browser_as(world.a.client_user).post(reverse("portal:comment", args=[incident.pk]), {"text": "Reception"})
    incident.refresh_from_db()
    assert incident.status == "waiting_client" and incident.client_replied_at is not None
