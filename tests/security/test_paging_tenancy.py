"""Issue 12, items 1-3: paging across clients.

1. MSP-wide escalation policies (the NOC default) are read by everyone on the staff but changed
   only by people who see every client, through a token not restricted to one client; a policy
   that pages for something (a default, or assigned to services) is not deleted.
2. A page reaches only people who may work on the incident's client: the others a team, a shared
   schedule or an override names are skipped, and the timeline says so.
3. Reassigning an incident answers one message for "nobody" and "somebody of another client".
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import TeamFactory, UserFactory
from tests.oncall.factories import make_schedule
from tests.smoke.conftest import START, sinks, smtp_settings, story
from tests.smoke.harness import Scenario
from tests.tenancy.factories import ClientFactory
from watchkeeper.accounts.models import Role, TeamMembership, User
from watchkeeper.audit.services import snapshot
from watchkeeper.core.errors import Forbidden
from watchkeeper.oncall.services import override_create
from watchkeeper.paging.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    ServiceEscalation,
    TargetKind,
)
from watchkeeper.paging.services import levels, policies
from watchkeeper.paging.services.policies import TargetSpec

pytestmark = pytest.mark.django_db
# The smoke harness's fixtures (`story`: a frozen clock and a real SMTP sink), used by name.
__all__ = ["sinks", "smtp_settings", "story"]


def _noc(owner: User, *targets: User) -> EscalationPolicy:
    """The MSP-wide NOC default, paging `targets` (the owner when none)."""
    noc = policies.policy_create(actor=owner, name="NOC default")
    for person in targets or (owner,):
        levels.policy_level_add(
            actor=owner, policy=noc, delay_minutes=10, target=TargetSpec(TargetKind.USER, person.pk)
        )
    policies.policy_default_set(actor=owner, policy=noc, is_default=True)
    return noc


def _manager_of(*clients: Any) -> User:
    manager: User = UserFactory(role=Role.MANAGER, full_name="Mallory Manager", all_clients=False)
    manager.assigned_clients.add(*clients)
    return manager


def _state() -> list[dict[str, Any]]:
    rows: list[Any] = [*EscalationPolicy.objects.order_by("pk"), *EscalationLevel.objects.order_by("pk")]
    rows += [*EscalationTarget.objects.order_by("pk"), *ServiceEscalation.objects.order_by("pk")]
    return [snapshot(row) for row in rows]


def _body(**extra: Any) -> dict[str, Any]:
    return {"name": "Planted", "levels": [{"targets": [{"kind": "user", "id": 1}]}], **extra}


# ----- 1. shared policies: read by all the staff, changed by those who see every client


@pytest.mark.parametrize("who", ["restricted manager", "token restricted to one client"])
def test_the_noc_default_is_read_but_never_changed_through_the_api(world: Any, api_as: Any, who: str) -> None:
    noc = _noc(world.owner)
    if who == "restricted manager":
        api = api_as(_manager_of(world.b.client), scopes=["read", "write", "admin"])
    else:
        api = api_as(world.owner, scopes=["read", "write", "admin"], client=world.b.client)
    path = f"/api/v1/escalation-policies/{noc.pk}"
    assert api.get(path).status_code == 200  # they see which policy pages for their client
    assert noc.pk in [row["id"] for row in api.get("/api/v1/escalation-policies").json()["items"]]
    before = _state()
    mine = [{"kind": "user", "id": world.b.technician.pk}]
    replaced = api.http.put(
        path, _body(name="NOC default", is_default=True, levels=[{"targets": mine}]),
        content_type="application/json", headers=api.headers,
    )  # fmt: skip
    assert replaced.status_code == 403, replaced.content
    assert "shared by every client" in replaced.json()["detail"]
    assert api.http.delete(path, headers=api.headers).status_code == 403
    created = api.post("/api/v1/escalation-policies", _body(levels=[{"targets": mine}]))
    assert created.status_code == 403  # an MSP-wide policy of their own would page for A too
    assert _state() == before
    own = api.post(
        "/api/v1/escalation-policies", _body(client=world.b.client.slug, levels=[{"targets": mine}])
    )
    assert own.status_code == 201, own.content  # their own client's policies stay theirs


def test_the_reported_attack_is_refused_at_the_service(world: Any) -> None:
    """A manager of Bravo added herself to the NOC default, then deleted it."""
    noc = _noc(world.owner)
    mallory = _manager_of(world.b.client)
    level = noc.levels.get()
    before = _state()
    for attempt in (
        lambda: levels.policy_target_add(
            actor=mallory, level=level, target=TargetSpec(TargetKind.USER, mallory.pk)
        ),
        lambda: levels.policy_level_add(
            actor=mallory, policy=noc, delay_minutes=0, target=TargetSpec(TargetKind.USER, mallory.pk)
        ),
        lambda: levels.policy_level_update(actor=mallory, level=level, delay_minutes=1440),
        lambda: levels.policy_level_remove(actor=mallory, level=level),
        lambda: levels.policy_target_remove(actor=mallory, target=level.targets.get()),
        lambda: policies.policy_update(actor=mallory, policy=noc, name="Mine"),
        lambda: policies.policy_default_set(actor=mallory, policy=noc, is_default=False),
        lambda: policies.policy_delete(actor=mallory, policy=noc),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert _state() == before


def test_the_console_shows_the_noc_default_read_only_and_refuses_its_forms(
    world: Any, browser_as: Any
) -> None:
    noc = _noc(world.owner)
    level = noc.levels.get()
    browser = browser_as(_manager_of(world.b.client))
    page = html.unescape(browser.get(reverse("paging:policy", args=[noc.pk])).content.decode())
    assert "shared by every client" in page
    for words in ("Add a level", "Save delay", "Delete this policy", "Stop being the default"):
        assert words not in page
    listing = html.unescape(browser.get(reverse("paging:policies")).content.decode())
    assert "Every client (MSP-wide)" not in listing
    before = _state()
    posts = [
        ("policy_settings", [noc.pk], {"name": "Mine", "repeat": "0"}),
        ("policy_default", [noc.pk], {"is_default": "0"}),
        ("policy_delete", [noc.pk], {}),
        ("level_add", [noc.pk], {"target": f"user:{world.b.technician.pk}", "delay_minutes": "0"}),
        ("level_delay", [noc.pk, level.pk], {"delay_minutes": "1440"}),
        ("level_move", [noc.pk, level.pk], {"direction": "down"}),
        ("level_remove", [noc.pk, level.pk], {}),
        ("target_add", [noc.pk, level.pk], {"target": f"user:{world.b.technician.pk}"}),
        ("target_remove", [noc.pk, level.pk, level.targets.get().pk], {}),
        ("policy_new", [], {"name": "Mine", "client": "", "repeat": "0"}),
    ]
    for name, args, data in posts:
        response = browser.post(reverse(f"paging:{name}", args=args), data)
        assert response.status_code in {400, 403}, name
    assert _state() == before
    # Their own client's paging is theirs: Bravo's service may use the shared policy.
    assigned = browser.post(reverse("paging:service_add", args=[noc.pk]), {"service": world.b.service.pk})
    assert assigned.status_code == 302
    assert ServiceEscalation.objects.get(service=world.b.service).policy == noc


def test_a_policy_that_pages_for_something_is_not_deleted(world: Any, api_as: Any) -> None:
    noc = _noc(world.owner)
    client_default = policies.policy_create(actor=world.owner, name="Alpha days", client=world.a.client)
    levels.policy_level_add(
        actor=world.owner,
        policy=client_default,
        delay_minutes=5,
        target=TargetSpec(TargetKind.USER, world.owner.pk),
    )
    policies.policy_default_set(actor=world.owner, policy=client_default, is_default=True)
    api = api_as(world.owner, scopes=["read", "write", "admin"])
    for policy, whose in ((noc, "the NOC default"), (client_default, "Alpha Dental's default")):
        refused = api.http.delete(f"/api/v1/escalation-policies/{policy.pk}", headers=api.headers)
        assert refused.status_code == 400
        assert whose in refused.json()["detail"]
    assert EscalationPolicy.objects.count() == 2


def test_targets_that_cannot_cover_the_client_are_saved_with_a_warning(
    world: Any, api_as: Any, browser_as: Any
) -> None:
    team = TeamFactory(name="Service desk")
    TeamMembership.objects.create(team=team, user=world.b.technician)
    api = api_as(world.owner, scopes=["read", "write", "admin"])
    team_target = {"targets": [{"kind": "team", "id": team.pk}]}
    shared = api.post("/api/v1/escalation-policies", _body(name="Shared", levels=[team_target]))
    assert shared.status_code == 201
    [warning] = shared.json()["warnings"]
    assert world.b.technician.full_name in warning and "work only on some clients" in warning
    alpha = api.post(
        "/api/v1/escalation-policies", _body(name="Alpha", client=world.a.client.slug, levels=[team_target])
    )
    assert "cannot work on Alpha Dental's incidents" in alpha.json()["warnings"][0]
    fine = api.post(
        "/api/v1/escalation-policies",
        _body(name="Bravo", client=world.b.client.slug, levels=[team_target]),
    )
    assert fine.json()["warnings"] == []
    browser = browser_as(world.owner)
    policy = EscalationPolicy.objects.get(name="Alpha")
    added = browser.post(
        reverse("paging:level_add", args=[policy.pk]),
        {"target": f"team:{team.pk}", "delay_minutes": "5"},
        follow=True,
    )
    assert "skipped when this policy pages" in html.unescape(added.content.decode())


# ----- 2. pages reach only people who may work on the incident's client (stories)


def _restricted(story: Scenario, name: str) -> User:
    """A technician of another client only."""
    person = story.user(name)
    person.all_clients = False
    person.save(update_fields=["all_clients"])
    person.assigned_clients.add(ClientFactory(name="Other Co"))
    return person


def _timeline_pages(incident: Any) -> list[str]:
    return list(incident.timeline.filter(kind="page").order_by("pk").values_list("text", flat=True))


def test_a_team_target_pages_only_members_who_may_work_on_the_client(story: Scenario) -> None:
    alice, jo = story.user("Alice"), _restricted(story, "Jo Bloggs")
    team = TeamFactory(name="Service desk")
    for member in (alice, jo):
        TeamMembership.objects.create(team=team, user=member)
    story.policy((10, [(TargetKind.TEAM, team)]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.expect_no_messages()  # nothing for Jo: the page names Acme Dental and its links
    assert any("skipped Jo Bloggs: not assigned to this client" in text for text in _timeline_pages(incident))


def test_a_round_robin_turn_is_never_spent_on_someone_who_would_be_skipped(story: Scenario) -> None:
    alice, jo = story.user("Alice"), _restricted(story, "Jo Bloggs")
    team = TeamFactory(name="Service desk")
    for member in (jo, alice):
        TeamMembership.objects.create(team=team, user=member)
    story.policy((10, [(TargetKind.TEAM_ROUND_ROBIN, team)]))
    for title in ("Practice server unreachable", "Backups failing"):
        incident = story.incident(title)
        story.run_engine()
        story.expect_message(to=alice.email, containing=incident.reference)


def test_an_override_naming_someone_of_another_client_pages_nobody_and_says_so(story: Scenario) -> None:
    alice, jo = story.user("Alice"), _restricted(story, "Jo Bloggs")
    schedule = make_schedule(
        [alice], name="NOC rota", unit="weeks", starts_on=START.date(), handoff=dt.time(8)
    )
    override_create(
        actor="test", schedule=schedule, user=jo, replaces=alice,
        starts_at=START - dt.timedelta(minutes=30), ends_at=START + dt.timedelta(hours=3),
    )  # fmt: skip
    story.run_engine()
    for message in list(story._new()):  # the schedule's on-call notices, not pages
        assert "on call" in message.subject.lower() or "shifts" in message.subject.lower(), message
        story.unmatched.remove(message)
    policy = story.policy()
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
    EscalationTarget.objects.create(level=level, kind=TargetKind.SCHEDULE, schedule=schedule)
    incident = story.incident()
    story.run_engine()
    story.expect_no_messages()
    assert "Nobody to page at level 1; skipped Jo Bloggs: not assigned to this client" in _timeline_pages(
        incident
    )


def test_a_shared_schedule_pages_only_its_people_who_may_work_on_the_client(story: Scenario) -> None:
    """The demo's own configuration did it: an MSP-wide rota whose layer holds a technician
    restricted to another client paged that technician for every client."""
    alice, jo = story.user("Alice"), _restricted(story, "Jo Bloggs")
    schedule = make_schedule([jo], name="NOC rota", starts_on=START.date(), handoff=dt.time(8))
    night = make_schedule([alice], name="Backup rota", starts_on=START.date(), handoff=dt.time(8))
    story.run_engine()
    for message in list(story._new()):  # the schedules' on-call notices, not pages
        story.unmatched.remove(message)
    policy = story.policy()
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
    for rota in (schedule, night):
        EscalationTarget.objects.create(level=level, kind=TargetKind.SCHEDULE, schedule=rota)
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.expect_no_messages()  # nothing for Jo
    assert any("skipped Jo Bloggs: not assigned to this client" in text for text in _timeline_pages(incident))


def test_a_target_planted_before_the_fix_never_receives_the_page(story: Scenario) -> None:
    """The report: a manager of another client on the NOC default received Acme's P1."""
    alice = story.user("Alice")
    mallory = _restricted(story, "Mallory")
    mallory.role = Role.MANAGER
    mallory.save(update_fields=["role"])
    story.policy((10, [alice, mallory]), name="NOC default")
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
    story.expect_no_messages()


# ----- 3. reassign: one message for "nobody" and "somebody of another client"


def test_reassign_names_nobody_of_another_client(world: Any, api_as: Any, browser_as: Any) -> None:
    incident = world.a.incident
    api = api_as(world.a.technician, scopes=["read", "write"])
    browser = browser_as(world.a.technician)
    for user_id in (world.b.technician.pk, world.b.client_user.pk, world.a.client_user.pk, 999_999):
        answer = api.post(f"/api/v1/incidents/{incident.pk}/reassign", {"user": user_id})
        assert answer.status_code == 400
        assert answer.json()["detail"] == "No such person can take this incident."
        page = browser.post(reverse("paging:reassign", args=[incident.pk]), {"user": str(user_id)})
        assert page.status_code == 400
        body = html.unescape(page.content.decode())
        assert "No such person can take this incident." in body
        for name in (world.b.technician.full_name, world.b.technician.email, world.b.client.name):
            assert name not in answer.content.decode() and name not in body
    incident.refresh_from_db()
    assert incident.owner is None
    done = api.post(f"/api/v1/incidents/{incident.pk}/reassign", {"user": world.owner.pk})
    assert done.status_code == 200
