"""MSP-wide on-call schedules, like MSP-wide escalation policies (issue 12 item 1, ADR 0027): a
shared schedule (no client) puts people on call for every client, so a manager restricted to
some clients, or a token restricted to one, may read it but never change it, its layers, its
overrides or its calendar address. Each write path is refused at the service, the API and the
console, and the console shows no control that would be refused."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.oncall.factories import make_schedule
from watchkeeper.accounts.models import Role, User
from watchkeeper.audit.services import snapshot
from watchkeeper.core.errors import Forbidden
from watchkeeper.oncall import services
from watchkeeper.oncall.models import CalendarToken, Layer, LayerMember, Override, Schedule
from watchkeeper.tenancy.access import Actor

pytestmark = pytest.mark.django_db

LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _shared(world: Any) -> Schedule:
    """The NOC's schedule for every client, with one layer and one override."""
    noc = make_schedule([world.owner], name="NOC shared")
    services.override_create(
        actor="test", schedule=noc, user=world.a.technician, starts_at=LATER,
        ends_at=LATER + dt.timedelta(days=1),
    )  # fmt: skip
    services.calendar_token_rotate(actor="test", schedule=noc)
    return noc


def _manager_of(*clients: Any) -> User:
    manager: User = UserFactory(role=Role.MANAGER, full_name="Mallory Manager", all_clients=False)
    manager.assigned_clients.add(*clients)
    return manager


def _state() -> list[dict[str, Any]]:
    rows: list[Any] = [*Schedule.objects.order_by("pk"), *Layer.objects.order_by("pk")]
    rows += [*LayerMember.objects.order_by("pk"), *Override.objects.order_by("pk")]
    rows += [*CalendarToken.objects.order_by("pk")]
    return [snapshot(row) for row in rows]


def _layer(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Planted", "starts_on": dt.date(2026, 1, 5), "handoff_time": dt.time(9), "shift_length": 1,
        "shift_unit": "weeks", **extra,
    }  # fmt: skip


def _writes(noc: Schedule, me: User) -> dict[str, Callable[[Any], object]]:
    layer, override = noc.layers.get(), noc.overrides.get()
    return {
        "schedule_create": lambda actor: services.schedule_create(actor=actor, name="Mine, for all"),
        "schedule_update": lambda actor: services.schedule_update(actor=actor, schedule=noc, name="Mine"),
        "layer_save (new)": lambda actor: services.layer_save(
            actor=actor, schedule=noc, members=[me], **_layer()
        ),
        "layer_save (change)": lambda actor: services.layer_save(
            actor=actor, schedule=noc, layer=layer, members=[me], **_layer(name="Primary")
        ),
        "layer_delete": lambda actor: services.layer_delete(actor=actor, layer=layer),
        "layers_replace": lambda actor: services.layers_replace(
            actor=actor, schedule=noc, layers=[{**_layer(), "members": [me]}]
        ),
        "override_create": lambda actor: services.override_create(
            actor=actor, schedule=noc, user=me, starts_at=LATER, ends_at=LATER + dt.timedelta(hours=8)
        ),
        "override_delete": lambda actor: services.override_delete(actor=actor, override=override),
        "calendar_token_rotate": lambda actor: services.calendar_token_rotate(actor=actor, schedule=noc),
    }


WRITES = [
    "schedule_create", "schedule_update", "layer_save (new)", "layer_save (change)", "layer_delete",
    "layers_replace", "override_create", "override_delete", "calendar_token_rotate",
]  # fmt: skip


@pytest.mark.parametrize("who", ["restricted manager", "token restricted to one client"])
@pytest.mark.parametrize("write", WRITES)
def test_each_write_of_a_shared_schedule_is_refused_at_the_service(world: Any, who: str, write: str) -> None:
    noc = _shared(world)
    if who == "restricted manager":
        actor: Any = _manager_of(world.b.client)
        me = actor
    else:
        actor, me = Actor(user=world.owner, token_client_id=world.b.client.pk), world.owner
    attempt = _writes(noc, me)[write]
    before = _state()
    with pytest.raises(Forbidden, match="shared by every client"):
        attempt(actor)
    assert _state() == before


@pytest.mark.parametrize("write", WRITES)
def test_someone_who_works_on_every_client_still_changes_it(world: Any, write: str) -> None:
    noc = _shared(world)
    manager = UserFactory(role=Role.MANAGER, all_clients=True)
    _writes(noc, manager)[write](manager)


def test_moving_a_schedule_of_ones_own_client_to_every_client_is_refused(world: Any) -> None:
    mallory = _manager_of(world.b.client)
    own = services.schedule_create(actor=mallory, name="Bravo nights", client=world.b.client)
    services.schedule_update(actor=mallory, schedule=own, name="Bravo nights (all week)")  # hers
    with pytest.raises(Forbidden, match="shared by every client"):
        services.schedule_update(actor=mallory, schedule=own, client=None)
    own.refresh_from_db()
    assert own.client == world.b.client


@pytest.mark.parametrize("who", ["restricted manager", "token restricted to one client"])
def test_the_api_reads_a_shared_schedule_but_refuses_each_write(world: Any, api_as: Any, who: str) -> None:
    noc = _shared(world)
    if who == "restricted manager":
        me = _manager_of(world.b.client)
        api = api_as(me, scopes=["read", "write", "admin"])
    else:
        me = world.owner
        api = api_as(me, scopes=["read", "write", "admin"], client=world.b.client)
    path = f"/api/v1/schedules/{noc.pk}"
    assert api.get(path).status_code == 200  # it puts people on call for their client too
    layer = {"name": "Planted", "starts_on": "2026-01-05", "handoff_time": "09:00", "members": [me.pk]}
    override = {"user_id": me.pk, "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T08:00:00Z"}
    before = _state()
    refused = {
        "create shared": api.post("/api/v1/schedules", {"name": "Mine, for all", "time_zone": "UTC"}),
        "rename": api.patch(path, {"name": "Mine"}),
        "replace layers": api.patch(path, {"layers": [layer]}),
        "empty change": api.patch(path, {}),
        "add override": api.post(f"{path}/overrides", override),
        "remove override": api.http.delete(f"{path}/overrides/{noc.overrides.get().pk}", headers=api.headers),
    }
    for what, response in refused.items():
        assert response.status_code == 403, f"{what}: {response.status_code} {response.content!r}"
        assert "shared by every client" in response.json()["detail"], what
    assert _state() == before
    own = api.post("/api/v1/schedules", {"name": "Bravo nights", "client": world.b.client.slug})
    assert own.status_code == 201, own.content  # their own client's schedules stay theirs


LAYER_FORM = {
    "priority": "1", "time_zone": "UTC", "starts_on": "2026-01-05", "handoff_time": "09:00",
    "shift_length": "1", "shift_unit": "weeks", "restriction": "none", "members": "{me}",
}  # fmt: skip
CONSOLE_POSTS: dict[str, dict[str, str]] = {
    "edit": {"name": "Mine", "description": "", "time_zone": "UTC"},
    "layer_new": {"name": "Planted", **LAYER_FORM},
    "layer_edit": {"name": "Primary", **LAYER_FORM},
    "layer_delete": {},
    "override_new": {"user": "{me_pk}", "starts_at": "2030-01-01T00:00", "ends_at": "2030-01-01T08:00"},
    "override_delete": {},
    "calendar": {},
}


def _console_args(name: str, noc: Schedule) -> list[int]:
    if name in {"layer_edit", "layer_delete"}:
        return [noc.pk, noc.layers.get().pk]
    if name == "override_delete":
        return [noc.pk, noc.overrides.get().pk]
    return [noc.pk]


def test_the_console_shows_a_shared_schedule_without_the_controls_it_would_refuse(
    world: Any, browser_as: Any
) -> None:
    noc = _shared(world)
    mallory = _manager_of(world.b.client)
    browser = browser_as(mallory)
    page = html.unescape(browser.get(reverse("oncall:detail", args=[noc.pk])).content.decode())
    assert "Shared by every client: only someone who works on every client can change it" in page
    for control in ("Settings", "Add layer", "Create override", ">remove<", "Get a new calendar address"):
        assert control not in page, control
    assert reverse("oncall:layer_edit", args=[noc.pk, noc.layers.get().pk]) not in page
    new = html.unescape(browser.get(reverse("oncall:new")).content.decode())
    assert "Every client (MSP-wide)" not in new and f"{world.b.client.name} only" in new
    # Someone who works on every client sees them all.
    owner_page = browser_as(world.owner).get(reverse("oncall:detail", args=[noc.pk])).content.decode()
    for control in ("Settings", "Add layer", "Create override", "Get a new calendar address"):
        assert control in owner_page, control


@pytest.mark.parametrize("name", sorted(CONSOLE_POSTS))
def test_each_console_form_of_a_shared_schedule_is_refused(world: Any, browser_as: Any, name: str) -> None:
    noc = _shared(world)
    mallory = _manager_of(world.b.client)
    browser = browser_as(mallory)
    url = reverse(f"oncall:{name}", args=_console_args(name, noc))
    data = {k: v.format(me=mallory.email, me_pk=mallory.pk) for k, v in CONSOLE_POSTS[name].items()}
    before = _state()
    if name not in {"layer_delete", "override_delete", "calendar", "override_new"}:
        assert browser.get(url).status_code == 403, f"GET {name}"
    assert browser.post(url, data).status_code == 403, f"POST {name}"
    assert _state() == before


def test_the_console_refuses_a_new_shared_schedule_with_a_message(world: Any, browser_as: Any) -> None:
    browser = browser_as(_manager_of(world.b.client))
    response = browser.post(
        reverse("oncall:new"), {"name": "Mine, for all", "time_zone": "UTC", "client": ""}
    )
    assert response.status_code == 400
    assert "shared by every client" in html.unescape(response.content.decode())
    assert not Schedule.objects.filter(name="Mine, for all").exists()
