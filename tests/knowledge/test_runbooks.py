"""Runbooks: suggested on the incidents they match, started once per incident with the version
of that moment kept, each tick on the timeline; the review list; the API and the incident page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from watchkeeper.alerts.models import Alert
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.incidents.models import TimelineEntry
from watchkeeper.knowledge.runbooks import (
    runbook_create,
    runbook_list,
    runbook_start,
    runbook_tick,
    runbook_update,
    runbooks_suggested,
)

pytestmark = pytest.mark.django_db

STEPS = [
    {"kind": "text", "text": "Find the largest folders with WizTree"},
    {"kind": "check", "text": "Clear C:\\Windows\\Temp"},
    {"kind": "check", "text": "Confirm free space above 15%"},
]


def test_suggested_by_alert_field_service_and_category(world: Any) -> None:
    incident = world.a.incident
    Alert.objects.filter(pk=world.a.alert.pk).update(labels={"alertname": "DiskFull", "instance": "fs01"})
    by_alert = runbook_create(actor=world.owner, client=None, title="Disk full", steps=STEPS,
                              alert_match={"labels.alertname": "DiskFull"})  # fmt: skip
    by_service = runbook_create(
        actor=world.owner, client=world.a.client, title="Practice server", steps=STEPS,
        service_ids=[world.a.service.pk],
    )  # fmt: skip
    runbook_create(actor=world.owner, client=None, title="CPU high", steps=STEPS,
                   alert_match={"labels.alertname": "CpuHigh"})  # fmt: skip
    runbook_create(actor=world.owner, client=world.b.client, title="Bravo's disk", steps=STEPS,
                   alert_match={"labels.alertname": "DiskFull"})  # fmt: skip
    assert runbooks_suggested(incident=incident) == [by_alert, by_service]


def test_alert_fields_are_checked(world: Any) -> None:
    with pytest.raises(InvalidInput):
        runbook_create(actor=world.owner, client=None, title="x", steps=STEPS, alert_match={"nonsense": "1"})
    with pytest.raises(InvalidInput):
        runbook_create(actor=world.owner, client=None, title="x", steps=[])


def test_start_keeps_the_version_and_ticks_go_on_the_timeline(world: Any) -> None:
    runbook = runbook_create(actor=world.owner, client=None, title="Disk full", steps=STEPS)
    run = runbook_start(actor=world.a.technician, incident=world.a.incident, runbook=runbook)
    assert runbook_start(actor=world.owner, incident=world.a.incident, runbook=runbook) == run  # once
    runbook_update(actor=world.owner, runbook=runbook, steps=[{"kind": "check", "text": "Something else"}])
    run = runbook_tick(actor=world.a.technician, run=run, step=1)
    with pytest.raises(Conflict):
        runbook_tick(actor=world.a.technician, run=run, step=1)
    with pytest.raises(InvalidInput):
        runbook_tick(actor=world.a.technician, run=run, step=7)
    assert (run.version, len(run.steps), run.finished_at) == (1, 3, None)
    run = runbook_tick(actor=world.a.technician, run=run, step=0)
    run = runbook_tick(actor=world.a.technician, run=run, step=2)
    assert run.finished_at is not None
    texts = list(TimelineEntry.objects.filter(incident=world.a.incident, data__has_key="runbook_run")
                 .order_by("id").values_list("text", flat=True))  # fmt: skip
    assert texts[0].startswith("Started runbook **Disk full** (version 1")
    assert "step 2 done: Clear C:\\Windows\\Temp" in texts[1]
    assert texts[-1].endswith("All steps done.")


def test_another_clients_runbook_cannot_be_started(world: Any) -> None:
    runbook = runbook_create(actor=world.owner, client=world.b.client, title="Bravo only", steps=STEPS)
    with pytest.raises(InvalidInput):
        runbook_start(actor=world.owner, incident=world.a.incident, runbook=runbook)


def test_review_list(world: Any) -> None:
    today = clock.now().date()
    due = runbook_create(actor=world.owner, client=None, title="Old", steps=STEPS, review_due=today)
    runbook_create(
        actor=world.owner, client=None, title="Fresh", steps=STEPS, review_due=today + dt.timedelta(days=30)
    )
    runbook_create(actor=world.owner, client=None, title="Never", steps=STEPS)
    assert list(runbook_list(actor=world.owner, review_overdue=True)) == [due]


def test_incident_page_suggests_and_ticks(world: Any, browser_as: Any) -> None:
    runbook = runbook_create(
        actor=world.owner, client=world.a.client, title="Practice server down", steps=STEPS,
        service_ids=[world.a.service.pk],
    )  # fmt: skip
    http = browser_as(world.a.technician)
    page = http.get(f"/incidents/{world.a.incident.pk}/").content.decode()
    assert "Practice server down" in page and "Start" in page
    response = http.post(f"/kb/incidents/{world.a.incident.pk}/runbooks", {"runbook": runbook.pk})
    assert response.status_code == 302
    run = runbook.runs.get()
    assert http.post(f"/kb/runbook-runs/{run.pk}/tick", {"step": 0}).status_code == 302
    page = http.get(f"/incidents/{world.a.incident.pk}/").content.decode()
    assert "<s>Find the largest folders with WizTree</s>" in page
    assert http.post(f"/kb/runbook-runs/{run.pk}/tick", {"step": 0}).status_code == 409
    assert http.post(f"/kb/runbook-runs/{run.pk}/tick", {"step": "x"}).status_code == 400
    assert http.get("/kb/runbooks/?review=overdue").status_code == 200
    assert http.get(f"/kb/runbooks/{runbook.pk}/").status_code == 200


def test_api(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    created = api.post("/api/v1/runbooks", {"title": "Disk full", "steps": STEPS, "review_due": "2027-01-01",
                                            "alert_match": {"labels.alertname": "DiskFull"}})  # fmt: skip
    assert created.status_code == 201, created.content
    runbook_id = created.json()["id"]
    Alert.objects.filter(pk=world.a.alert.pk).update(labels={"alertname": "DiskFull"})
    incident = world.a.incident.pk
    assert [r["id"] for r in api.get(f"/api/v1/incidents/{incident}/runbooks").json()] == [runbook_id]
    run = api.post(f"/api/v1/incidents/{incident}/runbook-runs", {"runbook_id": runbook_id})
    assert run.status_code == 201
    ticked = api.post(f"/api/v1/runbook-runs/{run.json()['id']}/tick", {"step": 2})
    assert ticked.json()["ticked"] == [2]
    assert api.post(f"/api/v1/incidents/{incident}/runbook-runs", {"runbook_id": 999}).status_code == 400
    assert api.patch(f"/api/v1/runbooks/{runbook_id}", {"steps": [{"text": "x"}]}).json()["version"] == 2
    assert api.post("/api/v1/runbooks", {"title": "x", "steps": []}).status_code == 400


def test_api_patch_with_nulls_changes_nothing_but_the_review_date(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    runbook = runbook_create(
        actor=world.owner, client=None, title="Kept", steps=STEPS, review_due=dt.date(2027, 1, 1)
    )
    body = {"title": None, "steps": None, "alert_match": None, "is_active": None, "review_due": None}
    changed = api.patch(f"/api/v1/runbooks/{runbook.pk}", body)
    assert changed.status_code == 200, changed.content
    assert (changed.json()["title"], changed.json()["review_due"], changed.json()["is_active"]) == (
        "Kept",
        None,
        True,
    )
    article = api.post("/api/v1/articles", {"title": "Kept"}).json()
    patched = api.patch(
        f"/api/v1/articles/{article['id']}", {"title": None, "categories": None, "service_ids": None}
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Kept"


def test_save_as_runbook(world: Any, browser_as: Any, api_as: Any) -> None:
    from watchkeeper.incidents.services import incident_note

    http = browser_as(world.a.technician)
    assert http.post(f"/kb/incidents/{world.a.incident.pk}/save-as-runbook").status_code == 400  # no notes
    incident_note(incident=world.a.incident, by=world.a.technician, text="Restarted the SQL service")
    incident_note(incident=world.a.incident, by=world.a.technician, text="Cleared the temp folder")
    response = http.post(f"/kb/incidents/{world.a.incident.pk}/save-as-runbook")
    assert response.status_code == 302
    draft = runbook_list(actor=world.owner).get(title__startswith="Draft:")
    assert [step["text"] for step in draft.steps] == ["Restarted the SQL service", "Cleared the temp folder"]
    assert not draft.is_active and draft.client == world.a.client
    assert draft not in runbooks_suggested(incident=world.a.incident)
    made = api_as(world.a.technician).post(f"/api/v1/incidents/{world.a.incident.pk}/save-as-runbook", {})
    assert made.status_code == 201 and made.json()["is_active"] is False


def test_console_form(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    assert http.get("/kb/runbooks/new").status_code == 200
    form = {
        "title": "Disk full", "client": world.a.client.slug, "review_due": "2027-01-01", "is_active": "on",
        "steps": "Read the article\n[ ] Clear temp\n! Restart the service\n\n",
        "alert_match": "labels.alertname = DiskFull", "categories": "server",
    }  # fmt: skip
    assert http.post("/kb/runbooks/new", form).status_code == 302
    runbook = runbook_list(actor=world.owner).get(title="Disk full")
    assert [s["kind"] for s in runbook.steps] == ["text", "check", "action"]
    assert runbook.alert_match == {"labels.alertname": "DiskFull"} and runbook.client == world.a.client
    page = http.get(f"/kb/runbooks/{runbook.pk}/edit").content.decode()
    assert "[ ] Clear temp" in page and "labels.alertname = DiskFull" in page
    assert http.post(f"/kb/runbooks/{runbook.pk}/edit", {**form, "title": "Disk full v2"}).status_code == 302
    runbook.refresh_from_db()
    assert (runbook.title, runbook.version) == ("Disk full v2", 2)
    assert http.post(f"/kb/runbooks/{runbook.pk}/edit", {**form, "title": "Disk full v2"}).status_code == 302
    runbook.refresh_from_db()
    assert runbook.version == 2  # nothing changed: no new version
    assert http.post("/kb/runbooks/new", {**form, "alert_match": "nonsense"}).status_code == 400
    assert http.post("/kb/runbooks/new", {**form, "alert_match": "bogus = 1"}).status_code == 400
    assert http.post("/kb/runbooks/new", {**form, "categories": "nope"}).status_code == 400


def test_update_the_kb_from_an_incident(world: Any, browser_as: Any) -> None:
    from watchkeeper.incidents.services import incident_note

    incident_note(incident=world.a.incident, by=world.a.technician, text="Rebooted the switch")
    page = browser_as(world.a.technician).get(f"/kb/new?incident={world.a.incident.pk}").content.decode()
    assert "- Rebooted the switch" in page and world.a.incident.reference in page
    assert browser_as(world.b.technician).get(f"/kb/new?incident={world.a.incident.pk}").status_code == 404
