"""Engine scenarios on a frozen clock: warnings and breaches fire from timers at the right
business-time instants, reach the owner and then the manager, and land on the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tests.accounts.factories import UserFactory
from tests.sla.factories import calendar_make, policy_make
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.core import clock
from watchkeeper.engine.loop import run_cycle
from watchkeeper.incidents import services as incidents
from watchkeeper.incidents.models import TimelineEntry
from watchkeeper.incidents.portal import incident_comment
from watchkeeper.sla.models import SlaBreach, SlaClock, SlaNotice

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture
def scene(db: Any) -> Any:
    calendar_make(hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    policy_make(tier="standard")
    client = ClientFactory(name="Praxis Weber", timezone="Europe/Berlin", country="DE", region="BY")
    service = ServiceFactory(client=client)
    owner = UserFactory(role="technician", email="owner@msp.example")
    owner.assigned_clients.add(client)
    manager = UserFactory(role=Role.MANAGER, email="manager@msp.example", all_clients=True)
    UserFactory(role=Role.MANAGER, email="elsewhere@msp.example")  # sees no client: never told
    return client, service, owner, manager


def run_at(when: dt.datetime, capture: Any) -> None:
    clock.freeze(when)
    with capture(execute=True):
        run_cycle()


def mails() -> list[tuple[str, str]]:
    found = [(m.to[0], m.subject) for m in mail.outbox]
    mail.outbox.clear()
    return found


def test_p2_friday_1630_is_due_monday_1230_and_warns_at_1130(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, service, owner, _manager = scene
    clock.freeze(local("2026-11-27 16:30"))  # a Friday
    incident = incidents.incident_open(
        client=client, service=service, title="Server down", impact="medium", urgency="high", by="monitoring"
    )
    assert incident.priority == "P2"
    incidents.incident_assign(incident=incident, by=owner, owner=owner)
    incidents.incident_acknowledge(incident=incident, by=owner)
    run_at(local("2026-11-27 16:30"), django_capture_on_commit_callbacks)
    resolution = SlaClock.objects.get(incident=incident, kind="resolution")
    assert resolution.due_at == local("2026-11-30 12:30")
    assert SlaClock.objects.get(incident=incident, kind="response").state == "met"

    run_at(local("2026-11-30 10:29"), django_capture_on_commit_callbacks)
    assert mails() == []
    run_at(local("2026-11-30 10:30"), django_capture_on_commit_callbacks)  # 50 %
    assert [to for to, _ in mails()] == ["owner@msp.example"]
    run_at(local("2026-11-30 11:29"), django_capture_on_commit_callbacks)
    assert mails() == []
    run_at(local("2026-11-30 11:30"), django_capture_on_commit_callbacks)  # 75 %: the brief's instant
    sent = mails()
    assert len(sent) == 1 and sent[0][0] == "owner@msp.example" and "75 %" in sent[0][1]
    assert SlaClock.objects.get(pk=resolution.pk).state == "at_risk"
    run_at(local("2026-11-30 12:06"), django_capture_on_commit_callbacks)  # 90 %: the manager too
    assert sorted(to for to, _ in mails()) == ["manager@msp.example", "owner@msp.example"]
    run_at(local("2026-11-30 12:30"), django_capture_on_commit_callbacks)  # breach
    assert sorted(to for to, _ in mails()) == ["manager@msp.example", "owner@msp.example"]
    breach = SlaBreach.objects.get(incident=incident)
    assert (breach.kind, breach.breached_at) == ("resolution", local("2026-11-30 12:30"))
    texts = [e.text for e in TimelineEntry.objects.filter(incident=incident, kind="change")]
    assert [t.split(":")[0] for t in texts] == ["SLA warning"] * 3 + ["SLA breached"]

    run_at(local("2026-11-30 13:00"), django_capture_on_commit_callbacks)  # nothing twice
    incidents.incident_note(incident=incident, by=owner, text="Still on it")
    run_at(local("2026-11-30 13:01"), django_capture_on_commit_callbacks)
    assert mails() == [] and SlaBreach.objects.count() == 1 and SlaNotice.objects.count() == 6


def test_catch_up_after_downtime_sends_only_what_is_due_now(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, service, owner, _ = scene
    clock.freeze(local("2026-11-27 16:30"))
    incident = incidents.incident_open(
        client=client, service=service, title="Server down", impact="medium", urgency="high", by="monitoring"
    )
    incidents.incident_assign(incident=incident, by=owner, owner=owner)
    incidents.incident_acknowledge(incident=incident, by=owner)
    run_at(local("2026-11-27 16:31"), django_capture_on_commit_callbacks)
    run_at(local("2026-11-30 11:45"), django_capture_on_commit_callbacks)  # the engine was down all weekend
    sent = mails()
    assert len(sent) == 1 and "75 %" in sent[0][1]


def test_waiting_on_the_client_pauses_and_resume_restarts(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, service, owner, _ = scene
    clock.freeze(local("2026-11-30 09:00"))
    incident = incidents.incident_open(
        client=client, service=service, title="Printer", impact="medium", urgency="high", by=owner
    )
    clock.freeze(local("2026-11-30 10:00"))
    incidents.incident_set_waiting(
        incident=incident, by=owner, status="waiting_client", note="Asked for logs"
    )
    run_at(local("2026-11-30 10:00"), django_capture_on_commit_callbacks)
    paused = SlaClock.objects.get(incident=incident, kind="resolution")
    assert (paused.state, paused.due_at) == ("paused", None)
    run_at(local("2026-11-30 15:00"), django_capture_on_commit_callbacks)
    assert mails() == [] and not SlaBreach.objects.exists()
    incidents.incident_resume(incident=incident, by=owner)
    run_at(local("2026-11-30 15:00"), django_capture_on_commit_callbacks)
    assert SlaClock.objects.get(pk=paused.pk).due_at == local("2026-12-01 10:00")  # 2 h today, 1 h tomorrow


def test_priority_change_recomputes_and_keeps_recorded_breaches(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, service, owner, _ = scene
    clock.freeze(local("2026-11-30 09:00"))
    incident = incidents.incident_open(
        client=client, service=service, title="Mail", impact="high", urgency="high", by="monitoring"
    )
    assert incident.priority == "P1"  # 15 min response, around the clock
    run_at(local("2026-11-30 09:20"), django_capture_on_commit_callbacks)
    assert SlaBreach.objects.filter(incident=incident, kind="response").exists()
    assert SlaClock.objects.get(incident=incident, kind="response").around_the_clock  # P1 is 24×7 here
    incidents.incident_set_priority(incident=incident, by=owner, impact="medium", urgency="high")
    run_at(local("2026-11-30 09:21"), django_capture_on_commit_callbacks)
    response = SlaClock.objects.get(incident=incident, kind="response")
    assert (response.priority, response.target_minutes, response.state) == ("P2", 480, "on_track")
    assert response.due_at == local("2026-11-30 17:00")
    assert SlaBreach.objects.filter(incident=incident, kind="response").count() == 1  # never erased
    assert response.breached_at == local("2026-11-30 09:15")  # and the clock remembers it


def test_no_policy_means_no_clocks(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    service = ServiceFactory()
    incident = incidents.incident_open(
        client=service.client, service=service, title="x", impact="medium", urgency="high", by="monitoring"
    )
    run_at(clock.now(), django_capture_on_commit_callbacks)
    assert not SlaClock.objects.filter(incident=incident).exists()


def test_a_client_reply_ends_the_wait_and_the_clock_runs_again(
    scene: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, service, owner, _ = scene
    person = UserFactory(role=Role.CLIENT_USER, client=client, email="reception@praxis.example")
    clock.freeze(local("2026-11-30 09:00"))
    incident = incidents.incident_open(
        client=client, service=service, title="Printer", impact="medium", urgency="high", by=owner
    )
    clock.freeze(local("2026-11-30 10:00"))
    incidents.incident_set_waiting(
        incident=incident, by=owner, status="waiting_client", note="Which printer?"
    )
    run_at(local("2026-11-30 10:00"), django_capture_on_commit_callbacks)
    clock.freeze(local("2026-11-30 15:00"))
    incident_comment(incident=incident, by=person, text="The one at reception")
    run_at(local("2026-11-30 15:00"), django_capture_on_commit_callbacks)
    incident.refresh_from_db()
    assert (incident.status, incident.client_replied_at) == ("acknowledged", local("2026-11-30 15:00"))
    resolution = SlaClock.objects.get(incident=incident, kind="resolution")
    assert (resolution.state, resolution.due_at) == ("on_track", local("2026-12-01 10:00"))
    assert mails() == []
