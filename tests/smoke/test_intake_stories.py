"""The flagship stories: they start where users start, at the real intake endpoints (a
PagerDuty event, an Alertmanager notification), and end where they end: a page at the SMTP
server, the one-click acknowledge in a browser, and silence afterwards.

Each story reads top to bottom as what a monitoring tool sends, what the engine does with it,
and which messages go out (the harness fails on any message a story did not expect).
"""

from __future__ import annotations

import pytest

from tests.smoke.harness import Scenario
from watchkeeper.alerts.models import Alert
from watchkeeper.incidents.models import Incident, IncidentStatus
from watchkeeper.incidents.services import incident_resolve

pytestmark = pytest.mark.django_db


def test_a_pagerduty_event_pages_once_and_the_link_acknowledges(story: Scenario) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    monitoring = story.integration("pagerduty")

    reply = story.post_pagerduty(monitoring, dedup_key="db01/disk")
    assert (reply.status, reply.json()["dedup_key"]) == (202, "db01/disk")
    assert "X-Frame-Options" not in reply.headers  # the fast path answered, not the browser stack
    story.run_engine()
    alert = Alert.objects.get()
    incident = Incident.objects.get()
    assert alert.incident_id == incident.pk
    page = story.expect_message(to=alice.email, containing=incident.reference)
    assert page.subject.startswith("[P1]")
    assert "DISK at 99% on db01" in page.subject

    # The monitor says it again: the same alert, one more occurrence, nobody paged twice.
    assert story.post_pagerduty(monitoring, dedup_key="db01/disk").status == 202
    story.run_engine()
    alert.refresh_from_db()
    assert (Alert.objects.count(), Incident.objects.count(), alert.occurrence_count) == (1, 1, 2)
    story.expect_no_messages()

    # Alice opens the link: the page shows a button and changes nothing (mail scanners prefetch).
    browser = story.open_link(page.links()["Acknowledge"])
    assert browser.page.status_code == 200
    assert browser.button == "Acknowledge as Alice"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert browser.press().status_code == 200
    assert f"{incident.reference} is acknowledged" in browser.text
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED

    # Past level 1's delay: Bob is not paged.
    story.run_engine()
    story.fast_forward(minutes=15)
    story.run_engine()
    story.expect_no_messages()

    # The monitor sees the disk recover.
    assert story.post_pagerduty(monitoring, "resolve", dedup_key="db01/disk").status == 202
    story.run_engine()
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert (alert.status, incident.status) == ("resolved", IncidentStatus.RESOLVED)
    story.fast_forward(minutes=60)
    story.run_engine()
    story.expect_no_messages()
