"""The story of the issue's "Must show", on a frozen clock with the real engine: a P1 is resolved →
its review is due in 5 business days of the client's calendar (across a weekend and a holiday) →
the owner is reminded → the review shows the computed facts (a missed update cadence flagged) →
action items with owners → the client summary is published to the portal and mailed → an
overdue action item reaches the manager. Exactly these messages, and no others."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.sla.factories import calendar_make
from tests.tenancy.factories import ClientFactory, ContactFactory, ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.engine.loop import run_cycle
from watchkeeper.incidents import services as incidents
from watchkeeper.reviews import actions, services
from watchkeeper.reviews.facts import review_facts
from watchkeeper.reviews.models import Review
from watchkeeper.sla.models import SlaPolicy, SlaTarget

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def run_at(when: dt.datetime, capture: Any) -> None:
    clock.freeze(when)
    with capture(execute=True):
        for _ in range(5):
            run_cycle()


def mails() -> list[tuple[str, str]]:
    found = sorted((m.to[0], m.subject) for m in mail.outbox)
    mail.outbox.clear()
    return found


@pytest.fixture
def scene(db: Any) -> Any:
    calendar_make(hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    policy = SlaPolicy.objects.create(name="Standard", tier="standard")
    # P1: first response 15 min, a client update at least every hour, resolution in 8 h; 24×7.
    SlaTarget.objects.create(policy=policy, priority="P1", response_minutes=15, update_minutes=60,
                             resolution_minutes=480, around_the_clock=True)  # fmt: skip
    client = ClientFactory(
        name="Łódź Dental", slug="lodz", timezone="Europe/Berlin", country="DE", region="BY"
    )
    service = ServiceFactory(client=client, name="Practice server")
    ContactFactory(
        client=client, name="Anna Müller", email="anna@lodz.example", receives_incident_updates=True
    )
    owner = UserFactory(
        role=Role.TECHNICIAN, email="owner@msp.example", full_name="Olga Owner", timezone="Europe/Berlin"
    )
    owner.assigned_clients.add(client)
    manager = UserFactory(
        role=Role.MANAGER, email="manager@msp.example", all_clients=True, timezone="Europe/Berlin"
    )
    portal_user = UserFactory(role=Role.CLIENT_USER, client=client, email="reader@lodz.example")
    return client, service, owner, manager, portal_user


def test_p1_review_story(scene: Any, django_capture_on_commit_callbacks: Any) -> None:
    client, service, owner, manager, portal_user = scene
    capture = django_capture_on_commit_callbacks

    # Wednesday 23 December 2026: a P1, acknowledged, one update, then two hours of silence.
    clock.freeze(local("2026-12-23 10:00"))
    incident = incidents.incident_open(
        client=client, service=service, title="Server down", impact="high", urgency="high", by="monitoring"
    )
    assert incident.priority == "P1"
    incidents.incident_assign(incident=incident, by=owner, owner=owner)
    clock.freeze(local("2026-12-23 10:05"))
    incidents.incident_acknowledge(incident=incident, by=owner)
    clock.freeze(local("2026-12-23 10:30"))
    incidents.incident_note(
        incident=incident, by=owner, text="We are restoring the server.", client_visible=True
    )
    run_at(local("2026-12-23 10:31"), capture)
    assert mails() == []
    run_at(local("2026-12-23 11:30"), capture)  # the update interval passed: SLA tells owner and manager
    breached = "[LODZ-1] SLA breached: Client update (P1, 1 h) was due Wed 23 Dec, 11:30 CET"
    assert mails() == [("manager@msp.example", breached), ("owner@msp.example", breached)]
    clock.freeze(local("2026-12-23 12:30"))
    incidents.incident_note(incident=incident, by=owner, text="The disk is replaced.", client_visible=True)
    clock.freeze(local("2026-12-23 13:00"))
    incidents.incident_resolve(incident=incident, by=owner, note="Back up.", client_visible=True)
    run_at(local("2026-12-23 13:00"), capture)
    assert mails() == []  # resolving sends nothing; the review opens quietly

    # → a review, due at the close of the 5th business day: Thu 24, (Fri 25 holiday, weekend),
    #   Mon 28, Tue 29, Wed 30, Thu 31 December, 17:00 in Berlin.
    review = Review.objects.get(incident=incident)
    assert review.due_at == local("2026-12-31 17:00")
    assert review.owner == owner and "P1" in review.reasons

    # → the facts, computed: acknowledged after 5 min, resolved after 3 h, one gap over the hour.
    facts = review_facts(review)
    assert facts.time_to_acknowledge == dt.timedelta(minutes=5)
    assert facts.time_to_resolve == dt.timedelta(hours=3)
    assert facts.updates == 3 and facts.update_target == dt.timedelta(hours=1)
    [late] = facts.gaps_over
    assert (late.start, late.end, late.length) == (
        local("2026-12-23 10:30"),
        local("2026-12-23 12:30"),
        dt.timedelta(hours=2),
    )
    assert facts.sla_outcome == "breached"

    # → the review is written, an action item gets an owner, the summary is published.
    clock.freeze(local("2026-12-28 11:00"))
    review = services.review_update(review=review, by=owner, changes={
        "summary": "The practice server stopped.",
        "impact": "Nobody could book appointments for three hours.",
        "root_cause": "A failed disk in the server's array.",
        "trigger": "INTERNAL: the RAID alert was muted",
        "factors": [{"kind": "technical", "text": "No disk monitoring"}],
    })  # fmt: skip
    item = actions.action_item_add(
        review=review, by=owner, title="Monitor the RAID array", kind="detect", owner=owner.pk,
        due_on=dt.date(2027, 1, 8),
    )  # fmt: skip
    services.summary_save(review=review, by=owner, text=services.summary_draft_text(review))
    services.summary_publish(review=review, by=manager)
    run_at(local("2026-12-28 11:00"), capture)
    assert mails() == [("anna@lodz.example", "Incident summary LODZ-1: Server down")]
    sent = mail.outbox  # (cleared) — the summary never carries internal fields:
    assert not sent
    # the portal shows it to the client's own people
    browser = HttpClient()
    browser.force_login(portal_user)
    page = browser.get(reverse("reviews:portal_summary", args=[review.pk])).content.decode()
    assert "three hours" in page and "INTERNAL" not in page

    # → the owner is reminded a day before the review is due.
    run_at(local("2026-12-30 16:59"), capture)
    assert mails() == []
    run_at(local("2026-12-30 17:00"), capture)
    assert mails() == [("owner@msp.example", "[LODZ-1] Post-incident review due")]
    clock.freeze(local("2026-12-31 10:00"))
    services.review_complete(review=review, by=owner)
    run_at(local("2026-12-31 17:00"), capture)  # completed in time: no overdue notice
    assert mails() == []

    # → the action item: reminded two days before, then overdue to the owner and the manager.
    run_at(local("2027-01-06 08:59"), capture)
    assert mails() == []
    run_at(local("2027-01-06 09:00"), capture)
    assert mails() == [("owner@msp.example", "[LODZ-1] Action item due 8 Jan: Monitor the RAID array")]
    run_at(local("2027-01-08 23:59"), capture)
    assert mails() == []
    run_at(local("2027-01-09 00:00"), capture)
    assert mails() == [
        ("manager@msp.example", "[LODZ-1] Action item overdue: Monitor the RAID array"),
        ("owner@msp.example", "[LODZ-1] Action item overdue: Monitor the RAID array"),
    ]
    run_at(local("2027-01-10 00:00"), capture)  # nothing twice
    assert mails() == []
    assert item.pk
