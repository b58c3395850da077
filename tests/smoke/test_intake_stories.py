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
from watchkeeper.incidents.coordination import incident_merge
from watchkeeper.incidents.models import Incident, IncidentStatus
from watchkeeper.incidents.services import incident_close, incident_resolve

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


def _probe(instance: str, status: str = "firing") -> dict[str, object]:
    """One alert of the ProbeFailure group, as Alertmanager sends it."""
    return {
        "status": status,
        "labels": {"alertname": "ProbeFailure", "instance": instance, "severity": "critical"},
        "annotations": {"summary": f"{instance} does not answer"},
        "fingerprint": f"probe-{instance}",
    }


def test_an_alertmanager_group_opens_one_incident_and_its_resolve_closes_it(story: Scenario) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    prometheus = story.integration("alertmanager")

    # One notification, two alerts of one group: two alerts, one incident, one page.
    reply = story.post_alertmanager(prometheus, group="ProbeFailure", alerts=[_probe("www"), _probe("mail")])
    assert (reply.status, reply.json()) == (200, {"status": "accepted", "alerts": 2})
    story.run_engine()
    incident = Incident.objects.get()
    assert sorted(incident.alerts.values_list("dedup_key", flat=True)) == ["probe-mail", "probe-www"]
    page = story.expect_message(to=alice.email, containing=incident.reference)
    assert page.subject.startswith("[P1]")

    # Five minutes on Alertmanager sends the group again: mail recovered, www still fails.
    story.fast_forward(minutes=5)
    recovering = [_probe("www"), _probe("mail", "resolved")]
    assert story.post_alertmanager(prometheus, group="ProbeFailure", alerts=recovering).status == 200
    story.run_engine()
    www, mail = (Alert.objects.get(dedup_key=f"probe-{name}") for name in ("www", "mail"))
    assert (www.status, www.occurrence_count, mail.status) == ("triggered", 2, "resolved")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    story.expect_no_messages()

    # Then www recovers too: the group is resolved, and so is the incident, before level 2.
    story.fast_forward(minutes=3)
    reply = story.post_alertmanager(
        prometheus, group="ProbeFailure", alerts=[_probe("www", "resolved"), _probe("mail", "resolved")]
    )
    assert reply.status == 200
    story.run_engine()
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    story.fast_forward(minutes=60)
    story.run_engine()
    story.expect_no_messages()  # Bob is never paged


def test_a_trigger_after_the_incident_was_resolved_by_hand_pages_again(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    monitoring = story.integration("pagerduty")
    story.post_pagerduty(monitoring, dedup_key="db01/disk")
    story.run_engine()
    first = Incident.objects.get()
    story.expect_message(to=alice.email, containing=first.reference)

    # Alice fixes the disk and resolves the incident herself; the monitor never sent a resolve.
    incident_resolve(incident=first, by=alice)
    story.run_engine()
    story.fast_forward(minutes=30)

    # The disk fills up again: that is a new problem, and someone must hear of it.
    assert story.post_pagerduty(monitoring, dedup_key="db01/disk").status == 202
    story.run_engine()
    alerts = list(Alert.objects.order_by("pk"))
    assert len(alerts) == 2, "the trigger was counted as one more occurrence of the resolved incident's alert"
    old, new = alerts
    assert (old.status, new.status, new.occurrence_count) == ("resolved", "triggered", 1)
    assert new.incident is not None and new.incident.pk != first.pk
    assert new.incident.status == IncidentStatus.TRIGGERED
    story.expect_message(to=alice.email, containing=new.incident.reference)


def test_a_trigger_that_arrives_before_the_engine_saw_the_resolve_still_pages(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    monitoring = story.integration("pagerduty")
    story.post_pagerduty(monitoring, dedup_key="db01/disk")
    story.run_engine()
    first = Incident.objects.get()
    story.expect_message(to=alice.email, containing=first.reference)

    # Resolved and closed by hand; the trigger is in the inbox before the alerts' watcher runs
    # (the engine takes the inbox first), so the dedup step itself must see the incident ended.
    incident_resolve(incident=first, by=alice)
    incident_close(incident=first, by=alice)
    assert story.post_pagerduty(monitoring, dedup_key="db01/disk").status == 202
    story.run_engine()
    old, new = Alert.objects.order_by("pk")
    assert (old.status, old.occurrence_count, new.status) == ("resolved", 1, "triggered")
    assert new.incident is not None and new.incident.pk != first.pk
    ended = first.timeline.get(data__with="incident")
    assert ended.text.startswith("Alert resolved with the closed incident: ")
    story.expect_message(to=alice.email, containing=new.incident.reference)


def test_a_trigger_after_a_merge_joins_the_incident_that_remains(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    monitoring = story.integration("pagerduty")
    for key in ("db01/disk", "db01/inodes"):
        story.post_pagerduty(monitoring, dedup_key=key)
    story.run_engine()
    survivor, duplicate = Incident.objects.order_by("pk")
    for incident in (survivor, duplicate):
        story.expect_message(to=alice.email, containing=incident.reference)

    # As in PagerDuty, a merge moves the duplicate's alerts: they stay open with the survivor.
    incident_merge(source=duplicate, target=survivor, by=alice)
    story.run_engine()
    assert set(Alert.objects.values_list("incident_id", "status")) == {(survivor.pk, "triggered")}
    assert story.post_pagerduty(monitoring, dedup_key="db01/inodes").status == 202
    story.run_engine()
    moved = Alert.objects.get(dedup_key="db01/inodes")
    assert (moved.incident_id, moved.occurrence_count, Incident.objects.count()) == (survivor.pk, 2, 2)

    # Resolving the survivor by hand ends both alerts; the next trigger is a new incident.
    incident_resolve(incident=survivor, by=alice)
    story.run_engine()
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}
    story.post_pagerduty(monitoring, dedup_key="db01/inodes")
    story.run_engine()
    fresh = Incident.objects.order_by("pk").last()
    assert fresh is not None and fresh.pk not in (survivor.pk, duplicate.pk)
    story.expect_message(to=alice.email, containing=fresh.reference)
