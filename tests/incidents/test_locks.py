"""The incident row lock and the one change sequence (ADR 0023).

`incidents.locks` is the only code that locks an incident row: a source check finds any other
`select_for_update` that would (on Incident itself, or through a joined incident without
`of=`). `incident_update` writes the lock → change → save → timeline → `incident_changed`
sequence every incident write shares.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F

from watchkeeper.core import clock
from watchkeeper.core.models import Timer
from watchkeeper.incidents import services
from watchkeeper.incidents.locks import incident_lock, incident_lock_grouped
from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind

SOURCE = Path(__file__).resolve().parents[2] / "src" / "watchkeeper"
OWNER = "incidents/locks.py"


def _chain(node: ast.Call, parents: dict[ast.AST, ast.AST]) -> tuple[str, list[ast.Call]]:
    """The root name and every call of the method chain `node` is part of."""
    calls = [node]
    inner: ast.AST = node.func
    while isinstance(inner, ast.Attribute | ast.Call):
        inner = inner.value if isinstance(inner, ast.Attribute) else inner.func
        if isinstance(inner, ast.Call):
            calls.append(inner)
    outer: ast.AST = node
    while isinstance(parents.get(outer), ast.Attribute) and isinstance(parents.get(parents[outer]), ast.Call):
        outer = parents[parents[outer]]
        calls.append(outer)  # type: ignore[arg-type]
    return (inner.id if isinstance(inner, ast.Name) else ""), calls


def _incident_locks(source: str, label: str) -> list[str]:
    """`label:line` for each `select_for_update` in `source` that locks an incident row."""
    tree = ast.parse(source, filename=label)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found: list[int] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "select_for_update":
            continue
        root, calls = _chain(node, parents)
        joined = [
            arg.value
            for call in calls
            if isinstance(call.func, ast.Attribute) and call.func.attr == "select_related"
            for arg in call.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        narrowed = any(keyword.arg == "of" for keyword in node.keywords)
        joins_incident = any(name == "incident" or name.startswith("incident__") for name in joined)
        if root == "Incident" or (joins_incident and not narrowed):
            found.append(node.lineno)
    return [f"{label}:{line}" for line in sorted(found)]


def test_only_incidents_locks_locks_an_incident_row() -> None:
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative != OWNER and "/migrations/" not in relative:
            offenders += _incident_locks(path.read_text(encoding="utf-8"), relative)
    assert not offenders, "Lock incidents with incidents.locks.incident_lock:\n" + "\n".join(offenders)


def test_the_check_finds_incident_locks_however_they_are_written() -> None:
    source = (
        "a = Incident.objects.select_for_update().get(pk=1)\n"
        "b = Incident.objects.filter(pk=1).select_for_update(of=('self',)).first()\n"
        "c = Token.objects.select_for_update().select_related('incident__client').get(pk=1)\n"
        "d = Token.objects.select_related('incident').select_for_update().get(pk=1)\n"
        "e = Token.objects.select_for_update(of=('self',)).select_related('incident').get(pk=1)\n"
        "f = Alert.objects.select_for_update().select_related('service').get(pk=1)\n"
    )
    assert _incident_locks(source, "x.py") == ["x.py:1", "x.py:2", "x.py:3", "x.py:4"]


# --- incident_lock -----------------------------------------------------------------------------


def test_incident_lock_reads_the_row_afresh_with_its_client_and_service(
    world: Any, django_assert_num_queries: Any
) -> None:
    stale = world.a.incident
    Incident.objects.filter(pk=stale.pk).update(title="Changed meanwhile")
    with django_assert_num_queries(1):
        locked = incident_lock(incident_id=stale.pk)
        assert (locked.title, locked.client.name, locked.service.name) == (
            "Changed meanwhile",
            world.a.client.name,
            world.a.service.name,
        )


def test_incident_lock_of_a_missing_incident_raises(db: Any) -> None:
    with pytest.raises(Incident.DoesNotExist):
        incident_lock(incident_id=987_654)


def test_incident_lock_grouped_finds_the_newest_open_incident_of_the_group_in_the_window(world: Any) -> None:
    service = world.a.service

    def opened(title: str, *, minutes_ago: int, status: str = IncidentStatus.TRIGGERED) -> Incident:
        incident = services.incident_open(
            client=service.client, service=service, title=title, impact="low", urgency="low", by="system",
            group_key="disk",
        )  # fmt: skip
        Incident.objects.filter(pk=incident.pk).update(
            opened_at=clock.now() - dt.timedelta(minutes=minutes_ago), status=status
        )
        return incident

    opened("too old", minutes_ago=90)
    older = opened("older", minutes_ago=20)
    opened("newest but resolved", minutes_ago=5, status=IncidentStatus.RESOLVED)
    since = clock.now() - dt.timedelta(minutes=60)
    assert incident_lock_grouped(service=service, group_key="disk", since=since) == older
    assert incident_lock_grouped(service=service, group_key="cpu", since=since) is None


# --- incident_update ---------------------------------------------------------------------------


def _later() -> None:
    """A frozen minute after the world was built, so a write would change `updated_at`."""
    clock.freeze(clock.now() + dt.timedelta(minutes=1))


def _writes(incident: Incident) -> tuple[int, int, dt.datetime]:
    incident.refresh_from_db()
    return incident.timeline.count(), Timer.objects.count(), incident.updated_at


def test_a_change_that_records_nothing_writes_nothing(world: Any) -> None:
    incident = world.a.incident
    before = _writes(incident)
    _later()
    with services.incident_update(incident=incident, by="system") as change:
        change.incident.title = "not saved: nothing recorded"
    assert _writes(incident) == before
    assert Incident.objects.get(pk=incident.pk).title != "not saved: nothing recorded"


def test_a_recorded_change_saves_its_fields_adds_the_entry_and_sets_the_watchers(world: Any) -> None:
    incident = world.a.incident
    Timer.objects.all().delete()
    _later()
    with services.incident_update(incident=incident, by=world.a.technician) as change:
        change.incident.title = "Renamed"
        change.incident.reopened_count = F("reopened_count") + 2
        entry = change.record(fields=("title", "reopened_count"), kind=TimelineKind.NOTE, text="renamed")
    assert change.incident.reopened_count == 2  # read back: a number, not an expression
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.reopened_count, stored.updated_at) == ("Renamed", 2, clock.now())
    assert (entry.actor, entry.text, entry.incident_id) == (world.a.technician, "renamed", incident.pk)
    assert sorted(Timer.objects.values_list("kind", "key")) == [
        ("alerts.incident", str(incident.pk)),
        ("chat.incident", str(incident.pk)),
        ("comms.incident", str(incident.pk)),
        ("paging.incident", str(incident.pk)),
        ("sla.incident", str(incident.pk)),
    ]


def test_a_failure_inside_the_change_undoes_all_of_it(world: Any) -> None:
    incident = world.a.incident
    before = _writes(incident)
    _later()
    with pytest.raises(RuntimeError), services.incident_update(incident=incident, by="system") as change:
        change.incident.title = "Renamed"
        change.record(fields=("title",), kind=TimelineKind.NOTE, text="renamed")
        raise RuntimeError("validation after the write")
    assert _writes(incident) == before
    assert not TimelineEntry.objects.filter(text="renamed").exists()
