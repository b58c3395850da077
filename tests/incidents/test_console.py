"""The console's queue and incident page additions: policy order, live refresh, bulk actions,
timeline filters, Markdown notes, client-visible updates, hand-off, responders, merge."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from watchkeeper.incidents.models import Incident, Responder, TimelineEntry
from watchkeeper.incidents.services import incident_note, incident_open, incident_priority_ranks_refresh
from watchkeeper.policy.models import Priority

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _open(tenant: Any, title: str, impact: str = "medium", urgency: str = "medium") -> Incident:
    return incident_open(
        client=tenant.client, service=tenant.service, title=title, impact=impact, urgency=urgency, by="t"
    )


def _url(name: str, incident: Incident) -> str:
    return reverse(f"incidents:{name}", kwargs={"incident_id": incident.pk})


def test_queue_follows_the_policys_priority_order_not_the_alphabet(world: Any, browser_as: Any) -> None:
    low = _open(world.a, "Low one", impact="low", urgency="low")  # P5 by default
    high = _open(world.a, "High one", impact="high", urgency="high")  # P1
    # The MSP reorders its priorities so P5 is the most urgent (positions are the policy's order).
    p1, p5 = Priority.objects.get(key=high.priority), Priority.objects.get(key=low.priority)
    p1.position, p5.position = p5.position, p1.position
    Priority.objects.bulk_update([p1, p5], ["position"])
    assert incident_priority_ranks_refresh() >= 2  # the engine's minutely job
    assert incident_priority_ranks_refresh() == 0  # nothing left to change
    body = _text(browser_as(world.a.technician).get(reverse("incidents:list")))
    assert body.index("Low one") < body.index("High one")


def test_the_polled_request_gets_only_the_queue(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    page = _text(http.get(reverse("incidents:list")))
    assert 'hx-trigger="every 10s' in page and 'id="bulk"' in page and "queue.js" in page
    response = http.get(reverse("incidents:list") + "?status=open", headers={"HX-Target": "queue"})
    body = _text(response)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="queue"')
    assert world.a.incident.reference in body and "<html" not in body
    assert "HX-Target" in response["Vary"]


def test_bulk_acknowledge_and_assign_from_the_queue(world: Any, browser_as: Any) -> None:
    second = _open(world.a, "Second")
    http = browser_as(world.a.technician)
    ids = [world.a.incident.pk, second.pk, world.b.incident.pk]
    response = http.post(reverse("incidents:bulk"), {"incident": ids, "action": "acknowledge"}, follow=True)
    body = _text(response)
    assert "Acknowledged 2 incidents" in body and f"#{world.b.incident.pk} not found" in body
    assert Incident.objects.get(pk=world.b.incident.pk).status == "triggered"
    assert Incident.objects.filter(pk__in=ids[:2], status="acknowledged").count() == 2
    http.post(reverse("incidents:bulk"), {"incident": ids[:2], "action": "assign", "owner": "me"})
    assert Incident.objects.filter(pk__in=ids[:2], owner=world.a.technician).count() == 2
    nothing = _text(http.post(reverse("incidents:bulk"), {"action": "acknowledge"}, follow=True))
    assert "Tick at least one incident" in nothing


def test_timeline_filters(world: Any, browser_as: Any) -> None:
    incident = world.a.incident
    incident_note(incident=incident, by=world.a.technician, text="Internal finding")
    incident_note(incident=incident, by=world.a.technician, text="Customer update", client_visible=True)
    http = browser_as(world.a.technician)
    notes = _text(http.get(_url("detail", incident) + "?show=notes"))
    assert "Internal finding" in notes and "Opened as" not in notes.split("Timeline")[1]
    client = _text(http.get(_url("detail", incident) + "?show=client"))
    assert "Customer update" in client and "Internal finding" not in client
    changes = _text(http.get(_url("detail", incident) + "?show=changes"))
    assert "Opened as" in changes and "Internal finding" not in changes
    assert http.get(_url("detail", incident) + "?show=gossip").status_code == 400


def test_notes_are_markdown_sanitised_and_can_be_client_visible(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    text = "**Rebooted** the [switch](https://example.com)\n\n<script>alert(1)</script>"
    http.post(_url("note", world.a.incident), {"text": text, "client_visible": "1"})
    entry = TimelineEntry.objects.filter(incident=world.a.incident).order_by("-id").first()
    assert entry is not None and entry.client_visible
    raw = http.get(_url("detail", world.a.incident)).content.decode()
    assert "<strong>Rebooted</strong>" in raw and "<script>alert(1)</script>" not in raw
    assert "client sees this" in raw


def test_hand_off_category_responders_and_merge_from_the_page(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    incident, tech = world.a.incident, world.a.technician
    page = _text(http.get(_url("detail", incident)))
    for name in ("hand_off", "category", "responder_add"):
        assert _url(name, incident) in page
    assert http.post(_url("hand_off", incident), {"owner": tech.pk, "note": ""}).status_code == 400
    assert http.post(_url("hand_off", incident), {"owner": tech.pk, "note": "UPS next"}).status_code == 302
    assert Incident.objects.get(pk=incident.pk).owner == tech
    assert http.post(_url("category", incident), {"category": "network"}).status_code == 302
    assert http.post(_url("category", incident), {"category": "weather"}).status_code == 400
    assert (
        http.post(_url("responder_add", incident), {"user": tech.pk, "role": "commander"}).status_code == 302
    )
    assert Responder.objects.get(incident=incident).role == "commander"
    assert "Incident commander" in _text(http.get(_url("detail", incident)))
    refused = http.post(
        _url("responder_add", incident), {"user": world.b.technician.pk, "role": "technician"}
    )
    assert refused.status_code == 400
    duplicate = _open(world.a, "Same outage, phoned in")
    assert f"{incident.reference}" in _text(http.get(_url("detail", duplicate)))  # offered as a target
    assert http.post(_url("merge", duplicate), {"into": world.b.incident.pk}).status_code == 400
    asked = http.post(_url("merge", duplicate), {"into": incident.pk})
    assert asked.status_code == 200 and Incident.objects.get(pk=duplicate.pk).is_open  # only asked
    assert f"Merge {duplicate.reference} into {incident.reference}?" in _text(asked)
    confirmed = {"into": incident.pk, "confirm": "yes"}
    assert http.post(_url("merge", duplicate), confirmed).status_code == 302
    merged = _text(http.get(_url("detail", duplicate)))
    assert f"Merged into {incident.reference}" in merged


def test_incident_page_queries_stay_bounded_with_responders(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    http = browser_as(world.a.technician)
    http.get(_url("detail", world.a.incident))
    with django_assert_max_num_queries(40) as few:
        response = http.get(_url("detail", world.a.incident))
    baseline = len(few.captured_queries)  # read now: each request resets the connection's log
    assert response.status_code == 200
    for n in range(5):
        incident_note(incident=world.a.incident, by=world.a.technician, text=f"**Note** {n}")
    http.post(_url("responder_add", world.a.incident), {"user": world.a.technician.pk, "role": "technician"})
    with django_assert_max_num_queries(baseline):
        assert http.get(_url("detail", world.a.incident)).status_code == 200


def test_client_and_service_pages_load_open_incidents_and_history(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    client_page = _text(http.get(reverse("tenancy:client", kwargs={"slug": world.a.client.slug})))
    assert 'hx-select="#queue"' in client_page and "status=resolved" in client_page
    service_url = reverse(
        "tenancy:service", kwargs={"slug": world.a.client.slug, "service_id": world.a.service.pk}
    )
    assert service_url in client_page
    service_page = _text(http.get(service_url))
    assert world.a.service.name in service_page and f"service={world.a.service.pk}" in service_page
    other = reverse("tenancy:service", kwargs={"slug": world.a.client.slug, "service_id": world.b.service.pk})
    assert http.get(other).status_code == 404
    listed = _text(
        http.get(f"{reverse('incidents:list')}?client={world.a.client.slug}&service={world.a.service.pk}")
    )
    assert 'id="queue"' in listed and world.a.incident.reference in listed


def test_search_counts_at_most_the_limit(world: Any, browser_as: Any, monkeypatch: Any) -> None:
    from watchkeeper.incidents import selectors

    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 3)
    for n in range(5):
        _open(world.a, f"Printer jam {n}")
    http = browser_as(world.a.technician)
    body = _text(http.get(reverse("incidents:list") + "?q=printer"))
    assert "At least 3 incidents match" in body
    assert body.count("Printer jam") == 3
    reference = _text(http.get(reverse("incidents:list") + f"?status=all&q={world.a.incident.reference}"))
    assert world.a.incident.title in reference and "At least" not in reference


def test_merging_asks_first_with_nothing_chosen_and_only_the_client_s_incidents(
    world: Any, browser_as: Any
) -> None:
    http = browser_as(world.owner)  # sees every client: the offer must still be one client's
    incident, duplicate = world.a.incident, _open(world.a, "Same outage, phoned in")
    page = _text(http.get(_url("detail", duplicate)))
    offer = page[page.index('name="into"') : page.index("</select>", page.index('name="into"'))]
    assert '<option value="" selected disabled>' in offer
    assert f'<option value="{incident.pk}">' in offer  # not selected
    assert f'value="{world.b.incident.pk}"' not in offer  # another client's incident
    asked = _text(http.post(_url("merge", duplicate), {"into": incident.pk}))
    assert f"Merge {duplicate.reference} into {incident.reference}?" in asked
    assert f"{duplicate.reference}'s 0 alerts move to {incident.reference}" in asked
    assert 'name="confirm" value="yes"' in asked
    assert Incident.objects.get(pk=duplicate.pk).merged_into is None
    refused = http.post(_url("merge", duplicate), {"into": world.b.incident.pk, "confirm": "yes"})
    assert refused.status_code == 400 and "same client" in _text(refused)
