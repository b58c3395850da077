"""Working together: responders with roles, hand-off, category, merging, bulk actions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import Role
from watchkeeper.alerts.models import Alert
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.core.models import Timer
from watchkeeper.incidents.coordination import (
    incident_bulk_acknowledge,
    incident_bulk_assign,
    incident_merge,
    responder_add,
    responder_remove,
)
from watchkeeper.incidents.models import Incident, Responder, TimelineEntry, TimelineKind
from watchkeeper.incidents.services import (
    incident_acknowledge,
    incident_hand_off,
    incident_open,
    incident_resolve,
    incident_set_category,
)

pytestmark = pytest.mark.django_db


def _open(tenant: Any, title: str = "Second report") -> Incident:
    return incident_open(
        client=tenant.client, service=tenant.service, title=title, impact="medium", urgency="low", by="t"
    )


def _last(incident: Incident) -> TimelineEntry:
    return TimelineEntry.objects.filter(incident=incident).order_by("-id").first()  # type: ignore[return-value]


def test_responder_add_change_and_remove(world: Any) -> None:
    incident, tech = world.a.incident, world.a.technician
    responder_add(incident=incident, by=world.owner, user=tech, role="commander")
    assert _last(incident).text.endswith("joins as incident commander")
    responder_add(incident=incident, by=world.owner, user=tech, role="commander")  # idempotent
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.RESPONDER).count() == 1
    responder_add(incident=incident, by=world.owner, user=tech, role="communications")
    assert Responder.objects.get(incident=incident, user=tech).role == "communications"
    assert "is now as communications lead" in _last(incident).text
    responder_remove(incident=incident, by=world.owner, user=tech)
    assert not Responder.objects.filter(incident=incident).exists()
    assert Timer.objects.filter(kind="paging.incident", key=str(incident.pk)).exists()


def test_responder_must_work_on_the_client_and_have_a_known_role(world: Any) -> None:
    with pytest.raises(InvalidInput, match="cannot work on"):
        responder_add(incident=world.a.incident, by=world.owner, user=world.b.technician, role="technician")
    with pytest.raises(InvalidInput, match="cannot work on"):
        responder_add(incident=world.a.incident, by=world.owner, user=world.a.client_user, role="technician")
    with pytest.raises(InvalidInput, match="Unknown role"):
        responder_add(incident=world.a.incident, by=world.owner, user=world.a.technician, role="hero")
    assert not Responder.objects.exists()


def test_hand_off_needs_a_note_and_a_colleague_of_the_client(world: Any) -> None:
    incident = world.a.incident
    with pytest.raises(InvalidInput, match="needs a note"):
        incident_hand_off(incident=incident, by=world.owner, to=world.a.technician, note="  ")
    with pytest.raises(InvalidInput, match="cannot work on"):
        incident_hand_off(incident=incident, by=world.owner, to=world.b.technician, note="over to you")
    incident = incident_hand_off(
        incident=incident, by=world.owner, to=world.a.technician, note="Rebooted once; check the UPS next"
    )
    assert incident.owner == world.a.technician
    entry = _last(incident)
    assert entry.kind == TimelineKind.OWNER and "Rebooted once; check the UPS next" in entry.text
    assert entry.data["handoff"] is True
    incident_resolve(incident=incident, by=world.owner)
    with pytest.raises(Conflict):
        incident_hand_off(incident=incident, by=world.owner, to=world.a.technician, note="late")


def test_category_must_be_the_policys(world: Any) -> None:
    with pytest.raises(InvalidInput, match="Unknown category 'weather'"):
        incident_set_category(incident=world.a.incident, by=world.owner, category="weather")
    incident = incident_set_category(incident=world.a.incident, by=world.owner, category="network")
    assert incident.category == "network" and _last(incident).kind == TimelineKind.CATEGORY
    incident_set_category(incident=incident, by=world.owner, category="network")  # no change, no entry
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.CATEGORY).count() == 1


def test_merge_moves_alerts_notes_both_timelines_and_resolves_the_duplicate(world: Any) -> None:
    target, duplicate = world.a.incident, _open(world.a, "Server down (phoned in)")
    Alert.objects.filter(pk=world.a.alert.pk).update(incident=duplicate)
    survivor = incident_merge(source=duplicate, target=target, by=world.a.technician)
    duplicate.refresh_from_db()
    assert survivor.pk == target.pk
    assert duplicate.status == "resolved" and duplicate.merged_into_id == target.pk
    assert Alert.objects.get(pk=world.a.alert.pk).incident_id == target.pk
    assert f"Merged into {target.reference}" in _last(duplicate).text
    assert f"{duplicate.reference} merged in" in _last(target).text and "(1 alert)" in _last(target).text


def test_merge_refuses_other_clients_itself_closed_targets_and_twice(world: Any) -> None:
    a, b = world.a.incident, world.b.incident
    with pytest.raises(InvalidInput, match="same client"):
        incident_merge(source=a, target=b, by=world.owner)
    with pytest.raises(InvalidInput, match="itself"):
        incident_merge(source=a, target=a, by=world.owner)
    other = _open(world.a)
    incident_resolve(incident=other, by=world.owner)
    with pytest.raises(Conflict, match="open incident"):
        incident_merge(source=a, target=other, by=world.owner)
    third = _open(world.a)
    incident_merge(source=other, target=third, by=world.owner)
    with pytest.raises(Conflict, match="already merged"):
        incident_merge(source=other, target=a, by=world.owner)
    assert Incident.objects.get(pk=a.pk).status == "triggered"


def test_bulk_acknowledge_checks_each_incident(world: Any) -> None:
    mine, done = _open(world.a), _open(world.a)
    incident_acknowledge(incident=done, by="t")
    result = incident_bulk_acknowledge(
        actor=world.a.technician, ids=[world.a.incident.pk, mine.pk, done.pk, world.b.incident.pk]
    )
    assert result.done == [world.a.incident.reference, mine.reference]
    assert result.unchanged == [done.reference]
    assert result.refused == [f"#{world.b.incident.pk} not found"]  # no name of B's: no leak
    assert Incident.objects.get(pk=world.b.incident.pk).status == "triggered"


def test_bulk_assign_and_read_only_manager(world: Any) -> None:
    result = incident_bulk_assign(
        actor=world.a.technician, ids=[world.a.incident.pk], owner=world.a.technician
    )
    assert result.done == [world.a.incident.reference]
    assert Incident.objects.get(pk=world.a.incident.pk).owner == world.a.technician
    outsider = UserFactory(role=Role.TECHNICIAN)  # sees no client
    result = incident_bulk_assign(actor=outsider, ids=[world.a.incident.pk], owner=None)
    assert result.done == [] and len(result.refused) == 1
    with pytest.raises(InvalidInput, match="At most"):
        incident_bulk_acknowledge(actor=world.a.technician, ids=range(1, 300))
