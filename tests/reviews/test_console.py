"""The console pages and the portal's summaries: each renders for its people, with a bounded
number of queries on the lists; forms refuse bad input with the reason, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.reviews.factories import resolved_p1
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.reviews import actions, services

pytestmark = pytest.mark.django_db


def _reviews(scene: Any, count: int) -> list[Any]:
    client, service, owner = scene
    found = []
    for index in range(count):
        incident = resolved_p1(client, service, owner, when=f"2026-12-{1 + index:02d} 10:00")
        review = services.review_open_if_required(incident_id=incident.pk, now=clock.now())
        actions.action_item_add(review=review, by=owner, title=f"Item {index}", kind="detect", owner=owner.pk,
                                due_on=dt.date(2027, 1, 8))  # fmt: skip
        found.append(review)
    return found


def test_pages_render_and_lists_do_not_grow_queries(scene: Any, browser_as: Any) -> None:
    _, _, owner = scene
    [review] = _reviews(scene, 1)
    http = browser_as(owner)
    pages = (("reviews:list", {}), ("reviews:actions", {}), ("reviews:detail", {"review_id": review.pk}),
             ("reviews:metrics", {}))  # fmt: skip
    for name, kwargs in pages:
        response = http.get(reverse(name, kwargs=kwargs) + "?show=all")
        assert response.status_code == 200, name
    for view in ("noise", "load"):
        assert http.get(reverse("reviews:metrics"), {"view": view}).status_code == 200
    csv = http.get(reverse("reviews:metrics"), {"group": "client", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and b"Zahn" in csv.content
    assert http.get(reverse("reviews:metrics"), {"from": "x"}).status_code == 400
    pdf = http.get(reverse("reviews:export", args=[review.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    with CaptureQueriesContext(connection) as one:
        http.get(reverse("reviews:list"), {"show": "all"})
        http.get(reverse("reviews:actions"), {"show": "all"})
    _reviews(scene, 4)
    with CaptureQueriesContext(connection) as five:
        http.get(reverse("reviews:list"), {"show": "all"})
        http.get(reverse("reviews:actions"), {"show": "all"})
    assert len(five) == len(one)


def test_forms_save_and_refuse_with_the_reason(scene: Any, browser_as: Any) -> None:
    _, _, owner = scene
    [review] = _reviews(scene, 1)
    http = browser_as(owner)
    saved = http.post(reverse("reviews:save", args=[review.pk]), {
        "summary": "Kurz", "root_cause": "Platte", "factor_kind": ["human", ""], "factor_text": ["Müde", ""],
        "owner": str(owner.pk), "participants_shown": "1",
    })  # fmt: skip
    assert saved.status_code == 302
    review.refresh_from_db()
    assert review.factors == [{"kind": "human", "text": "Müde"}]
    entry = review.incident.timeline.first()
    marked = http.post(reverse("reviews:mark", args=[review.pk]), {"entry": entry.pk, "starred": ["0", "1"],
                                                                   "annotation": "Hier"})  # fmt: skip
    assert marked.status_code == 302
    assert review.marks.get(entry=entry).starred
    bad = http.post(
        reverse("reviews:action_add", args=[review.pk]), {"title": "x", "kind": "detect", "due_on": "soon"}
    )
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.content.decode()
    published = http.post(
        reverse("reviews:summary", args=[review.pk]), {"client_summary": "Gut.", "publish": "1"}
    )
    assert published.status_code == 302
    review.refresh_from_db()
    assert review.summary_state == "published"


def test_client_users_see_only_published_summaries_of_their_own_client(scene: Any, browser_as: Any) -> None:
    client, _, owner = scene
    first, second = _reviews(scene, 2)
    services.summary_save(review=first, by=owner, text="Veröffentlicht")
    services.summary_publish(review=first, by=owner)
    services.summary_save(review=second, by=owner, text="Nur ein Entwurf")
    reader = UserFactory(role=Role.CLIENT_USER, client=client, email="leser@lodz.example")
    http = browser_as(reader)
    listing = http.get(reverse("reviews:portal_list")).content.decode()
    assert "LODZ-1" in listing and "LODZ-2" not in listing
    assert http.get(reverse("reviews:portal_summary", args=[first.pk])).status_code == 200
    assert http.get(reverse("reviews:portal_summary", args=[second.pk])).status_code == 404  # a draft
    assert http.get(reverse("reviews:detail", args=[first.pk])).status_code == 404  # the internal review


def test_the_incident_page_links_its_review_or_offers_one(scene: Any, browser_as: Any) -> None:
    client, service, owner = scene
    [review] = _reviews(scene, 1)
    http = browser_as(owner)
    page = http.get(reverse("incidents:detail", args=[review.incident_id])).content.decode()
    assert reverse("reviews:detail", args=[review.pk]) in page
    low = resolved_p1(client, service, owner, when="2026-12-20 10:00")
    page = http.get(reverse("incidents:detail", args=[low.pk])).content.decode()
    assert reverse("reviews:open", args=[low.pk]) in page
    opened = http.post(reverse("reviews:open", args=[low.pk]))
    assert opened.status_code == 302 and "/reviews/" in opened["Location"]
