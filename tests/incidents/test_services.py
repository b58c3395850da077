"""Incident services: numbering, state changes, notes, priority, owners and the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.incidents import services
from watchkeeper.incidents.models import Incident, TimelineEntry
from watchkeeper.tenancy.access import Actor


def _open(service: Any, **fields: Any) -> Incident:
    values = {"title": "VPN down", "impact": "medium", "urgency": "high", "by": "system", **fields}
    return services.incident_open(client=service.client, service=service, **values)


def test_numbers_count_per_client(world: Any) -> None:
    # The world already holds incident 1 of each client.
    assert _open(world.a.service).number == 2
    assert _open(world.a.service).number == 3
    b = _open(world.b.service)
    assert (b.number, b.reference) == (2, "BRAVO-LOGISTICS-2")


def test_open_takes_priority_from_the_matrix_and_records_who(world: Any) -> None:
    incident = _open(world.a.service, title="  VPN down  ", by=Actor(user=world.a.technician))
    assert (incident.title, incident.priority, incident.status) == ("VPN down", "P2", "triggered")
    entry = incident.timeline.get()
    assert (entry.kind, entry.actor, entry.actor_label) == (
        "opened",
        world.a.technician,
        world.a.technician.email,
    )
    assert entry.data["priority"] == "P2"


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": " "}, "title"), ({"impact": "huge"}, "impact"), ({"urgency": "soonish"}, "urgency")],
)
def test_open_rejects_bad_input(world: Any, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _open(world.a.service, **fields)
    assert raised.value.field == field
    assert Incident.objects.count() == 2


def test_open_on_another_clients_service_is_refused(world: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.incident_open(
            client=world.b.client,
            service=world.a.service,
            title="x",
            impact="high",
            urgency="high",
            by="system",
        )
    assert raised.value.field == "service"


def test_lifecycle(world: Any) -> None:
    incident = world.a.incident
    incident = services.incident_acknowledge(incident=incident, by=world.a.technician)
    assert incident.status == "acknowledged" and incident.acknowledged_at is not None
    incident = services.incident_resolve(incident=incident, by=world.a.technician, note="fixed")
    assert incident.status == "resolved" and incident.resolved_at is not None
    incident = services.incident_reopen(incident=incident, by=world.a.technician, reason="again")
    assert (incident.status, incident.resolved_at, incident.reopened_count) == ("triggered", None, 1)
    services.incident_resolve(incident=incident, by="system")
    incident = services.incident_close(incident=incident, by=world.a.technician)
    assert incident.status == "closed" and incident.closed_at is not None
    texts = list(incident.timeline.order_by("at", "id").values_list("text", flat=True))
    assert texts[1:] == [
        "Acknowledged", f"Owner: {world.a.technician.full_name} (acknowledged it)", "Resolved: fixed",
        "Reopened: again", "Resolved", "Closed",
    ]  # fmt: skip


def test_acknowledging_an_incident_nobody_owns_makes_you_the_owner(world: Any) -> None:
    incident = services.incident_acknowledge(incident=world.a.incident, by=Actor(user=world.a.technician))
    assert Incident.objects.get(pk=incident.pk).owner == world.a.technician
    entry = incident.timeline.order_by("-id").first()
    assert entry is not None and (entry.kind, entry.data) == (
        "owner",
        {"owner": world.a.technician.pk, "acknowledged": True},
    )


def test_acknowledging_someone_else_s_incident_keeps_their_ownership(world: Any) -> None:
    colleague = UserFactory(role=Role.TECHNICIAN, full_name="Casey Colleague")
    colleague.assigned_clients.add(world.a.client)
    services.incident_assign(incident=world.a.incident, by="system", owner=colleague)
    incident = services.incident_acknowledge(incident=world.a.incident, by=world.a.technician)
    assert Incident.objects.get(pk=incident.pk).owner == colleague
    entry = incident.timeline.order_by("-id").first()
    assert entry is not None and entry.text == (
        f"Acknowledged by {world.a.technician.full_name}; Casey Colleague stays the owner"
    )


def test_an_integration_s_acknowledge_makes_nobody_the_owner(world: Any) -> None:
    incident = services.incident_acknowledge(incident=world.a.incident, by="Nagios (PagerDuty)")
    assert incident.status == "acknowledged" and Incident.objects.get(pk=incident.pk).owner is None


def test_repeated_transitions_add_nothing(world: Any) -> None:
    incident = world.a.incident
    services.incident_acknowledge(incident=incident, by="system")
    services.incident_acknowledge(incident=incident, by="system")
    services.incident_resolve(incident=incident, by="system")
    services.incident_resolve(incident=incident, by="system")
    services.incident_acknowledge(incident=incident, by="system")  # resolved stays resolved
    assert incident.timeline.count() == 3
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_close_and_reopen_need_a_resolved_incident(world: Any) -> None:
    with pytest.raises(Conflict):
        services.incident_close(incident=world.a.incident, by="system")
    with pytest.raises(Conflict):
        services.incident_reopen(incident=world.a.incident, by="system")
    assert world.a.incident.timeline.count() == 1


def test_note(world: Any) -> None:
    entry = services.incident_note(incident=world.a.incident, by=world.a.technician, text=" on site ")
    assert (entry.kind, entry.text, entry.actor) == ("note", "on site", world.a.technician)
    for text in ("", "   ", "x" * 20_001):
        with pytest.raises(InvalidInput):
            services.incident_note(incident=world.a.incident, by="system", text=text)
    assert world.a.incident.timeline.filter(kind="note").count() == 1


def test_priority_change_is_recorded_once(world: Any) -> None:
    incident = services.incident_set_priority(
        incident=world.a.incident, by="system", impact="low", urgency="low"
    )
    assert incident.priority == "P5"
    services.incident_set_priority(incident=incident, by="system", impact="low", urgency="low")
    entries = incident.timeline.filter(kind="priority")
    assert [(e.data["from"], e.data["to"]) for e in entries] == [("P2", "P5")]
    with pytest.raises(InvalidInput):
        services.incident_set_priority(incident=incident, by="system", impact="low", urgency="never")


def test_assign_only_staff_who_see_the_client(world: Any) -> None:
    incident = services.incident_assign(incident=world.a.incident, by="system", owner=world.a.technician)
    assert incident.owner == world.a.technician
    services.incident_assign(incident=incident, by="system", owner=world.a.technician)  # no change, no entry
    for stranger in (world.b.technician, world.a.client_admin):
        with pytest.raises(InvalidInput):
            services.incident_assign(incident=incident, by="system", owner=stranger)
    roaming = UserFactory(role=Role.TECHNICIAN, all_clients=True)
    assert services.incident_assign(incident=incident, by="system", owner=roaming).owner == roaming
    assert services.incident_assign(incident=incident, by="system", owner=None).owner is None
    assert incident.timeline.filter(kind="owner").count() == 3


def test_timeline_is_append_only(world: Any) -> None:
    entry = world.a.incident.timeline.get()
    entry.text = "rewritten"
    with pytest.raises(RuntimeError):
        entry.save()
    assert TimelineEntry.objects.get(pk=entry.pk).text != "rewritten"


def test_other_clients_service_cannot_be_used_even_when_named_alike(world: Any) -> None:
    twin = ServiceFactory(client=world.b.client, name=world.a.service.name)
    with pytest.raises(InvalidInput):
        services.incident_open(
            client=world.a.client, service=twin, title="x", impact="high", urgency="high", by="system"
        )


def test_waiting_statuses_are_open_and_acknowledge(world: Any) -> None:
    incident = _open(world.a.service)
    waiting = services.incident_set_waiting(
        incident=incident, by="system", status="waiting_client", note="Logs?"
    )
    assert (waiting.status, waiting.is_open, waiting.acknowledged_at is not None) == (
        "waiting_client",
        True,
        True,
    )
    assert waiting.timeline.last().text == "Waiting on client: Logs?"
    assert services.incident_acknowledge(incident=waiting, by="system").status == "waiting_client"  # no-op
    vendor = services.incident_set_waiting(incident=waiting, by="system", status="waiting_vendor")
    assert services.incident_resume(incident=vendor, by="system").status == "acknowledged"
    assert services.incident_resume(incident=vendor, by="system").status == "acknowledged"  # idempotent
    services.incident_set_waiting(incident=incident, by="system", status="waiting_vendor")
    assert services.incident_resolve(incident=incident, by="system").status == "resolved"  # from waiting
    with pytest.raises(Conflict):
        services.incident_set_waiting(incident=incident, by="system", status="waiting_client")
    with pytest.raises(InvalidInput):
        services.incident_set_waiting(incident=_open(world.a.service), by="system", status="resolved")
