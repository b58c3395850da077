"""The demo's client communication: policies, roles, a template and one thread with a reply,
loaded without e-mailing anybody, and a second load adds nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from watchkeeper.comms.models import (
    ClientUpdate,
    CommunicationPolicy,
    ContactRoles,
    DeliveryState,
    IncidentComms,
    MessageTemplate,
    UpdateDelivery,
)
from watchkeeper.demo import demo_load
from watchkeeper.demo.comms import roles_from_title
from watchkeeper.engine.loop import run_cycle
from watchkeeper.incidents.models import TimelineEntry, TimelineKind
from watchkeeper.tenancy.models import Contact


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_the_demo_has_policies_roles_and_a_thread_with_a_reply(db: Any, data_dir: Path) -> None:
    demo_load()
    assert CommunicationPolicy.objects.filter(client=None).exists()
    assert CommunicationPolicy.objects.filter(client__slug="hvdental").exists()
    assert MessageTemplate.objects.filter(client=None, kind="update").exists()
    assert ContactRoles.objects.count() == Contact.objects.count()
    update = ClientUpdate.objects.get(created_by__isnull=False)
    assert update.deliveries.exists()
    assert not UpdateDelivery.objects.exclude(state=DeliveryState.SENT).exists()
    reply = TimelineEntry.objects.get(
        incident=update.incident, kind=TimelineKind.COMMENT, data__comms="reply"
    )
    assert reply.text.startswith("Thanks.") and "wrote:" not in reply.text
    assert IncidentComms.objects.filter(overdue_since__isnull=False).count() == 1
    for _ in range(5):
        run_cycle()
    assert not UpdateDelivery.objects.exclude(state=DeliveryState.SENT).exists()  # nothing new for clients
    assert IncidentComms.objects.filter(overdue_since__isnull=False).count() == 1  # the engine keeps it
    before = (ClientUpdate.objects.count(), ContactRoles.objects.count(), CommunicationPolicy.objects.count())
    demo_load()
    assert (
        ClientUpdate.objects.count(),
        ContactRoles.objects.count(),
        CommunicationPolicy.objects.count(),
    ) == before


@pytest.mark.parametrize(
    ("title", "primary", "roles"),
    [
        ("Head of IT", True, ["management", "primary", "technical"]),
        ("Billing Lead", False, ["billing", "management"]),
        ("Office Administrator", False, ["technical"]),
        ("Studio Manager", False, ["management"]),
    ],
)
def test_roles_from_job_titles(title: str, primary: bool, roles: list[str]) -> None:
    assert roles_from_title(title, primary=primary) == roles
