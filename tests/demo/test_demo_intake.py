"""The demo's integrations and their history: played through the real intake path, once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from watchkeeper.accounts.models import User
from watchkeeper.alerts.models import Alert, InboxEvent, InboxStatus, Integration
from watchkeeper.core import clock
from watchkeeper.demo import data, demo_load, history
from watchkeeper.incidents.models import Incident, TimelineEntry, TimelineKind


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def loaded(db: Any, data_dir: Path) -> str:
    return demo_load()


def _rows() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for label in ("alerts", "incidents", "audit"):
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def test_integrations_of_every_kind_the_demo_needs(loaded: str) -> None:
    # Besides the demo's integrations: one per service its monitors feed ("Monitoring: <service>").
    assert Integration.objects.exclude(name__startswith="Monitoring: ").count() == len(history.INTEGRATIONS)
    types = set(Integration.objects.values_list("type", flat=True))
    assert {"pagerduty", "alertmanager", "heartbeat", "email"} <= types
    assert Integration.objects.values("client").distinct().count() >= 4
    for integration in Integration.objects.select_related("default_service"):
        assert integration.default_service.client_id == integration.client_id
    assert "integration" in loaded


def test_history_went_through_the_inbox(loaded: str) -> None:
    assert not InboxEvent.objects.exclude(status=InboxStatus.DONE).exists()
    assert InboxEvent.objects.count() >= 40
    assert Alert.objects.count() >= 15
    assert Alert.objects.filter(occurrence_count__gt=1).exists()
    assert Alert.objects.filter(incident__isnull=True, suppressed=False).count() == 0


def test_incidents_have_a_believable_history(loaded: str) -> None:
    now = clock.now()
    incidents = Incident.objects.all()
    assert incidents.count() >= 10
    opened = list(incidents.values_list("opened_at", flat=True))
    assert min(opened) < now - dt.timedelta(days=12)
    assert max(opened) > now - dt.timedelta(days=1)
    assert max(opened) <= now
    statuses = set(incidents.values_list("status", flat=True))
    assert {"triggered", "acknowledged", "resolved", "closed"} <= statuses
    open_p1 = incidents.filter(status__in=["triggered", "acknowledged"], priority="P1")
    assert open_p1.count() == 1
    assert open_p1.get().owner is not None
    assert incidents.filter(owner__isnull=False).count() >= 3
    assert incidents.filter(timeline__kind=TimelineKind.PRIORITY).exists()
    assert incidents.filter(alerts__isnull=True).exists()  # opened by hand after a phone call


def test_timelines_are_in_order_and_name_people(loaded: str) -> None:
    notes = TimelineEntry.objects.filter(kind=TimelineKind.NOTE)
    assert notes.count() >= 8
    assert not notes.filter(actor__isnull=True).exists()
    for incident in Incident.objects.prefetch_related("timeline"):
        times = [entry.at for entry in incident.timeline.all()]
        assert times == sorted(times)
        assert times[0] == incident.opened_at


def test_the_clock_runs_again_after_the_load(loaded: str) -> None:
    first = clock.now()
    assert abs(first - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_second_load_changes_nothing(loaded: str) -> None:
    before = _rows()

    summary = demo_load()

    assert _rows() == before
    assert "nothing was changed" in summary


def test_a_new_integration_of_an_existing_demo_gets_its_history(loaded: str) -> None:
    integration = Integration.objects.get(client__slug="paws", name="Clinic network monitor")
    integration.delete()

    demo_load()

    replayed = Integration.objects.get(client__slug="paws", name="Clinic network monitor")
    assert Alert.objects.filter(integration=replayed).count() == 1
    # Besides the demo's integrations: one per service its monitors feed ("Monitoring: <service>").
    assert Integration.objects.exclude(name__startswith="Monitoring: ").count() == len(history.INTEGRATIONS)


def test_every_demo_page_renders(loaded: str, client: Any) -> None:
    client.force_login(User.objects.get(email=data.OWNER.email))
    pages = [reverse("incidents:list"), reverse("alerts:list"), reverse("alerts:integrations")]
    pages += [
        reverse("alerts:integration", args=[pk]) for pk in Integration.objects.values_list("pk", flat=True)
    ]
    pages += [reverse("incidents:detail", args=[pk]) for pk in Incident.objects.values_list("pk", flat=True)]
    pages += [reverse("alerts:detail", args=[pk]) for pk in Alert.objects.values_list("pk", flat=True)]
    for page in pages:
        assert client.get(page).status_code == 200, page
