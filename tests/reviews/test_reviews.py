"""Reviews: the policy's rule, due dates in business days, the computed facts, validation, the
exports (PDF text extracted back, with non-Latin-1 names) and the API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest

from tests.accounts.factories import UserFactory
from tests.reviews.factories import local, resolved_p1
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.incidents import services as incidents
from watchkeeper.incidents.models import TimelineEntry
from watchkeeper.policy.selectors import policy_document, review_rules
from watchkeeper.policy.services import policy_import_yaml
from watchkeeper.policy.yamlio import PolicyFileError, policy_yaml_dump, policy_yaml_parse
from watchkeeper.reviews import actions, selectors, services
from watchkeeper.reviews.duedates import business_days_after, client_calendar
from watchkeeper.reviews.exports import review_markdown, review_pdf
from watchkeeper.reviews.facts import review_facts
from watchkeeper.reviews.models import Review
from watchkeeper.sla.businesstime import ALWAYS

pytestmark = pytest.mark.django_db


def test_business_days_skip_weekends_holidays_and_count_from_the_next_day(scene: Any) -> None:
    client, _, _ = scene
    calendar = client_calendar(client, local("2026-12-23 13:00"))
    # Wed 23 Dec → Thu 24, Mon 28 (Fri 25 and Sat 26 are holidays in Bavaria), Tue 29, Wed 30, Thu 31.
    assert business_days_after(calendar, local("2026-12-23 13:00"), 5) == local("2026-12-31 17:00")
    # Resolved on a Saturday: Monday is day 1.
    assert business_days_after(calendar, local("2026-11-28 10:00"), 1) == local("2026-11-30 17:00")
    # Without a calendar (24×7): days of 24 hours.
    assert business_days_after(ALWAYS, local("2026-11-28 10:00"), 2) == local("2026-11-30 10:00")


def test_the_policy_requires_a_review_for_p1_not_for_p4(scene: Any) -> None:
    client, service, owner = scene
    incident = resolved_p1(client, service, owner)
    assert services.review_open_if_required(incident_id=incident.pk, now=clock.now()) is not None
    assert services.review_open_if_required(incident_id=incident.pk, now=clock.now()) is None  # once
    low = incidents.incident_open(
        client=client, service=service, title="Toner", impact="low", urgency="low", by=owner
    )
    low = incidents.incident_resolve(incident=low, by=owner)
    assert low.priority not in review_rules()["priorities"]
    assert services.review_open_if_required(incident_id=low.pk, now=clock.now()) is None
    # A reopened incident needs one (the policy's `reopened: true`).
    low = incidents.incident_reopen(incident=low, by=owner)
    low = incidents.incident_resolve(incident=low, by=owner)
    review = services.review_open_if_required(incident_id=low.pk, now=clock.now())
    assert review is not None and review.reasons == ["Reopened"]


def test_the_review_rule_round_trips_through_the_policy_yaml(db: Any) -> None:
    document = policy_document()
    assert document["reviews"] == {"priorities": ["P1", "P2"], "sla_breach": True, "reopened": True,
                                   "due_business_days": 5}  # fmt: skip
    text = policy_yaml_dump(document).replace("due_business_days: 5", "due_business_days: 3")
    text = text.replace(
        "  priorities:\n    - P1\n    - P2\n  sla_breach", "  priorities:\n    - P1\n  sla_breach"
    )
    policy_import_yaml(text, actor="cli")
    assert review_rules() == {
        "priorities": ["P1"],
        "sla_breach": True,
        "reopened": True,
        "due_business_days": 3,
    }
    assert policy_yaml_dump(policy_document()) == text
    with pytest.raises(PolicyFileError, match=r"reviews.priorities\[0\]: unknown priority 'P9'"):
        policy_yaml_parse(text.replace("  priorities:\n    - P1", "  priorities:\n    - P9"))
    with pytest.raises(PolicyFileError, match=r"reviews\.due_business_days: must be between 1 and 60"):
        policy_yaml_parse(text.replace("due_business_days: 3", "due_business_days: 99"))


def test_facts_marks_and_validation(scene: Any) -> None:
    client, service, owner = scene
    incident = resolved_p1(client, service, owner)
    review = services.review_open_if_required(incident_id=incident.pk, now=clock.now())
    assert review is not None
    entry = TimelineEntry.objects.filter(incident=incident).first()
    assert entry is not None
    services.entry_mark(review=review, by=owner, entry_id=entry.pk, starred=True, annotation="Der Anfang")
    facts = review_facts(review)
    starred = [row for row in facts.timeline if row.starred]
    assert [row.annotation for row in starred] == ["Der Anfang"]
    assert facts.time_to_resolve == dt.timedelta(hours=1) and facts.pages_sent == 0
    with pytest.raises(InvalidInput, match=r"factors\[0\]\.kind"):
        services.review_update(review=review, by=owner, changes={"factors": [{"kind": "luck", "text": "x"}]})
    with pytest.raises(InvalidInput, match="not on this incident"):
        services.entry_mark(review=review, by=owner, entry_id=10**9, starred=True)
    with pytest.raises(InvalidInput, match="summary and the root cause"):
        services.review_complete(review=review, by=owner)
    with pytest.raises(InvalidInput, match=r"link must be"):
        actions.action_item_add(review=review, by=owner, title="x", kind="detect", owner=owner.pk,
                                due_on=dt.date(2027, 1, 1), link="javascript:alert(1)")  # fmt: skip
    stranger = UserFactory(role=Role.TECHNICIAN, email="stranger@msp.example")
    with pytest.raises(InvalidInput, match="No such person"):
        actions.action_item_add(review=review, by=owner, title="x", kind="detect", owner=stranger.pk,
                                due_on=dt.date(2027, 1, 1))  # fmt: skip


def test_pdf_renders_names_outside_latin_1(scene: Any) -> None:
    client, service, owner = scene
    incident = resolved_p1(client, service, owner)
    review = services.review_open_if_required(incident_id=incident.pk, now=clock.now())
    assert review is not None
    review = services.review_update(review=review, by=owner, changes={
        "summary": "Der Server in Łódź fiel aus; Herr Müller rief an.", "trigger": "Ein Zeichen: żółć",
    })  # fmt: skip
    actions.action_item_add(review=review, by=owner, title="Überwachung für Łódź", kind="detect",
                            owner=owner.pk,
                            due_on=dt.date(2027, 1, 8))  # fmt: skip
    facts, items = review_facts(review), selectors.action_items_of(review)
    pdf = review_pdf(review, facts, items)
    assert pdf[:4] == b"%PDF"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for name in ("Łódź Zahnärzte", "Müller", "żółć", "Überwachung für Łódź", "Jürgen Müller"):
        assert name in text, name
    markdown = review_markdown(review, facts, items)
    assert "Herr Müller" in markdown and "| Überwachung für Łódź | Detect | Jürgen Müller |" in markdown
    public = review_markdown(review, facts, items, internal=False)
    assert "żółć" not in public and "Herr Müller" in public  # the trigger is internal


def test_api_review_and_action_items(scene: Any, api_as: Any) -> None:
    client, service, owner = scene
    incident = resolved_p1(client, service, owner)
    review = services.review_open_if_required(incident_id=incident.pk, now=clock.now())
    assert isinstance(review, Review)
    api = api_as(owner, scopes=["read", "write"])
    listed = api.get("/api/v1/reviews", show="all")
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["items"]] == [review.pk]
    detail = api.get(f"/api/v1/reviews/{review.pk}").json()
    assert detail["facts"]["time_to_resolve_s"] == 3600 and detail["reference"] == "LODZ-1"
    patched = api.patch(
        f"/api/v1/reviews/{review.pk}",
        {"summary": "S", "root_cause": "R", "factors": [{"kind": "vendor", "text": "ISP"}]},
    )
    assert patched.status_code == 200, patched.content
    bad = api.patch(f"/api/v1/reviews/{review.pk}", {"factors": [{"kind": "luck", "text": "x"}]})
    assert bad.status_code == 400
    item = api.post("/api/v1/action-items", {"review_id": review.pk, "title": "Add a check", "kind": "detect",
                                             "owner": owner.pk, "due_on": "2027-01-08"})  # fmt: skip
    assert item.status_code == 201, item.content
    assert api.get("/api/v1/action-items").json()["count"] == 1
    done = api.patch(f"/api/v1/action-items/{item.json()['id']}", {"status": "done"})
    assert done.status_code == 200 and done.json()["completed_at"]
    assert api.post(f"/api/v1/reviews/{review.pk}/complete", {}).json()["status"] == "completed"
    summary = api.http.put(
        f"/api/v1/reviews/{review.pk}/client-summary", {"text": "All good now."},
        content_type="application/json", headers=api.headers,
    )  # fmt: skip
    assert summary.json()["summary_state"] == "draft"
    assert (
        api.post(f"/api/v1/reviews/{review.pk}/client-summary/publish", {}).json()["summary_state"]
        == "published"
    )
    md = api.get(f"/api/v1/reviews/{review.pk}/export", format="markdown")
    assert md.status_code == 200 and "Łódź" in md.content.decode()
    metrics = api.get("/api/v1/reports/metrics", group="priority")
    assert metrics.status_code == 200 and metrics.json()["total"]["incidents"] == 1
    assert api.get("/api/v1/reports/metrics", format="csv")["Content-Type"] == "text/csv"
    assert api.get("/api/v1/reports/noise").status_code == 200
    assert api.get("/api/v1/reports/oncall-load").status_code == 200
    assert api.get("/api/v1/reports/metrics", **{"from": "nonsense"}).status_code == 400


def test_a_late_engine_sends_the_overdue_notice_not_a_stale_reminder(scene: Any) -> None:
    from watchkeeper.reviews.models import ReviewNotice
    from watchkeeper.reviews.reminders import action_due_fire, review_due_fire

    client, service, owner = scene
    manager = UserFactory(role=Role.MANAGER, email="chefin@msp.example", all_clients=True)
    incident = resolved_p1(client, service, owner)
    review = services.review_open_if_required(incident_id=incident.pk, now=clock.now())
    assert review is not None
    late = review.due_at + dt.timedelta(hours=1)
    assert review_due_fire(review_id=review.pk, stage="reminder", now=late) == 2  # owner and manager
    assert {n.dedup_key.split(":")[2] for n in ReviewNotice.objects.all()} == {"overdue"}
    item = actions.action_item_add(review=review, by=owner, title="x", kind="detect", owner=owner.pk,
                                   due_on=dt.date(2027, 1, 8))  # fmt: skip
    after = dt.datetime(2027, 1, 20, tzinfo=dt.UTC)
    assert action_due_fire(item_id=item.pk, stage="reminder", now=after) == 2
    assert review_due_fire(review_id=review.pk, stage="overdue", now=late) == 0  # nobody twice
    assert manager.pk in set(ReviewNotice.objects.values_list("user_id", flat=True))


def test_the_policy_page_states_the_review_rule(db: Any, browser_as: Any) -> None:
    admin = UserFactory(role=Role.ADMIN, email="admin@msp.example")
    page = browser_as(admin).get("/policy/").content.decode()
    assert "required for P1, P2, any SLA breach, any reopened incident; due 5 business days" in page
