"""The escalation policy editor in the console, through the views: create, levels, targets,
order, default, services, delete; errors a person can act on (400), other tenants' objects
(404), read-only viewers (no controls, 403) and never a partial write."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.factories import TeamFactory, UserFactory
from tests.oncall.factories import make_schedule, victim_schedule
from tests.paging.factories import client_policy
from tests.tenancy.factories import ServiceFactory
from watchkeeper.accounts.models import Role, User
from watchkeeper.audit.models import AuditEntry
from watchkeeper.audit.services import snapshot
from watchkeeper.paging.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    ServiceEscalation,
    TargetKind,
)

pytestmark = pytest.mark.django_db


def _manager(world: Any, *clients: Any) -> User:
    """A manager of the given clients only (of every client when none is given)."""
    manager: User = UserFactory(role=Role.MANAGER, all_clients=not clients)
    manager.assigned_clients.add(*clients)
    return manager


def _url(name: str, policy: EscalationPolicy | None = None, *more: int) -> str:
    return reverse(f"paging:{name}", args=[policy.pk, *more] if policy else None)


def _levels(policy: EscalationPolicy) -> list[tuple[int, list[str]]]:
    """(delay, [target descriptions]) per level, in order."""
    return [
        (level.delay_minutes, [str(target) for target in level.targets.order_by("id")])
        for level in policy.levels.order_by("position")
    ]


def _state() -> list[dict[str, Any]]:
    """Every row an editor can write, to assert that a refused request wrote nothing."""
    rows: list[Any] = [*EscalationPolicy.objects.order_by("pk"), *EscalationLevel.objects.order_by("pk")]
    rows += [*EscalationTarget.objects.order_by("pk"), *ServiceEscalation.objects.order_by("pk")]
    return [snapshot(row) for row in rows]


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _create(browser: HttpClient, **fields: str) -> EscalationPolicy:
    response = browser.post(_url("policy_new"), {"name": "Alpha on call", "repeat": "1", **fields})
    assert response.status_code == 302, _text(response)
    return EscalationPolicy.objects.get(name=fields.get("name", "Alpha on call"))


def test_a_manager_builds_a_two_level_policy_and_reorders_it(world: Any, browser_as: Any) -> None:
    manager = _manager(world)
    browser = browser_as(manager)
    listing = _text(browser.get(_url("policies")))
    assert "New escalation policy" in listing
    policy = _create(browser, client=world.a.client.slug, description="Office hours")
    assert (policy.client, policy.repeat, policy.levels.count()) == (world.a.client, 1, 0)
    empty = _text(browser.get(_url("policy", policy)))
    assert "No levels yet" in empty and "Add the first level" in empty
    team = TeamFactory(name="Service desk")

    first = browser.post(
        _url("level_add", policy), {"target": f"user:{world.a.technician.pk}", "delay_minutes": "10"}
    )
    assert first.status_code == 302
    level_one = policy.levels.get()
    assert first["Location"].endswith(f"#level-{level_one.pk}")
    second = browser.post(
        _url("level_add", policy),
        {"target": f"team:{team.pk}", "team_mode": "round_robin", "delay_minutes": "20"},
    )
    assert second.status_code == 302
    assert _levels(policy) == [
        (10, [f"User: {world.a.technician}"]),
        (20, ["Team (round-robin): Service desk"]),
    ]

    noc = make_schedule([manager], name="NOC rota")
    added = browser.post(_url("target_add", policy, level_one.pk), {"target": f"schedule:{noc.pk}"})
    assert added.status_code == 302
    level_two = policy.levels.get(position=1)
    assert browser.post(_url("level_move", policy, level_two.pk), {"direction": "up"}).status_code == 302
    assert browser.post(_url("level_delay", policy, level_one.pk), {"delay_minutes": "5"}).status_code == 302
    assert _levels(policy) == [
        (20, ["Team (round-robin): Service desk"]),
        (5, [f"User: {world.a.technician}", "Schedule: NOC rota"]),
    ]

    technician_target = level_one.targets.get(kind=TargetKind.USER)
    removed = browser.post(_url("target_remove", policy, level_one.pk, technician_target.pk))
    assert removed.status_code == 302
    page = _text(browser.get(_url("policy", policy)))
    assert "Service desk" in page and "NOC rota" in page and "Level 2" in page
    assert browser.post(_url("level_remove", policy, level_two.pk)).status_code == 302
    assert _levels(policy) == [(5, ["Schedule: NOC rota"])]
    assert (
        AuditEntry.objects.filter(action__startswith="escalation_policy.", object_id=str(policy.pk)).count()
        == 8
    )


def test_settings_default_services_and_delete(world: Any, browser_as: Any) -> None:
    browser = browser_as(_manager(world))
    policy = _create(browser, client=world.a.client.slug)
    browser.post(
        _url("level_add", policy), {"target": f"user:{world.a.technician.pk}", "delay_minutes": "10"}
    )
    old_default = client_policy(world.a)  # Alpha Dental's default until now

    saved = browser.post(
        _url("policy_settings", policy), {"name": "Alpha days", "description": "9 to 5", "repeat": "3"}
    )
    assert saved.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.description, policy.repeat) == ("Alpha days", "9 to 5", 3)

    made = browser.post(_url("policy_default", policy), {"is_default": "1"}, follow=True)
    assert f"instead of {old_default.name}" in _text(made)
    assert list(EscalationPolicy.objects.filter(is_default=True)) == [policy]

    assert browser.post(_url("service_add", policy), {"service": world.a.service.pk}).status_code == 302
    assert ServiceEscalation.objects.get(service=world.a.service).policy == policy
    refused = browser.post(_url("policy_delete", policy))
    assert refused.status_code == 400
    assert "Services still use this policy" in _text(refused)
    assert EscalationPolicy.objects.filter(pk=policy.pk).exists()

    assert browser.post(_url("service_remove", policy, world.a.service.pk)).status_code == 302
    assert not ServiceEscalation.objects.exists()
    unset = browser.post(_url("policy_default", policy), {"is_default": "0"})
    assert unset.status_code == 302
    deleted = browser.post(_url("policy_delete", policy))
    assert deleted.status_code == 302 and deleted["Location"] == _url("policies")
    assert not EscalationPolicy.objects.filter(pk=policy.pk).exists()
    assert not EscalationLevel.objects.filter(policy_id=policy.pk).exists()


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        ("abc", "whole number of minutes"),
        ("-5", "whole number of minutes"),
        ("", "whole number of minutes"),
        ("1.5", "whole number of minutes"),
        ("²", "whole number of minutes"),
        ("2000", "0 to 1440 minutes"),
        ("99999999999", "whole number of minutes"),
    ],
)
def test_a_bad_delay_is_a_400_beside_the_form_and_writes_nothing(
    world: Any, browser_as: Any, delay: str, message: str
) -> None:
    browser = browser_as(_manager(world))
    policy = client_policy(world.a)
    level = policy.levels.get()
    before = _state()
    target = f"user:{world.a.technician.pk}"
    added = browser.post(_url("level_add", policy), {"target": target, "delay_minutes": delay})
    assert added.status_code == 400
    assert message in _text(added)
    assert 'id="add-level" open' in _text(added)  # the form that failed stays open
    changed = browser.post(_url("level_delay", policy, level.pk), {"delay_minutes": delay})
    assert changed.status_code == 400
    assert message in _text(changed)
    assert _state() == before


@pytest.mark.parametrize("kind", ["user", "schedule", "nonsense", "empty"])
def test_a_target_of_another_client_is_a_400_and_writes_nothing(
    world: Any, browser_as: Any, kind: str
) -> None:
    """An all-clients manager on Alpha's policy, naming Bravo's technician or Bravo's schedule."""
    browser = browser_as(_manager(world))
    policy = client_policy(world.a)
    level = policy.levels.get()
    target = {
        "user": f"user:{world.b.technician.pk}",
        "schedule": f"schedule:{victim_schedule(world.b).pk}",
        "nonsense": "robot:1",
        "empty": "",
    }[kind]
    before = _state()
    for url, data in [
        (_url("target_add", policy, level.pk), {"target": target}),
        (_url("level_add", policy), {"target": target, "delay_minutes": "5"}),
    ]:
        response = browser.post(url, data)
        assert response.status_code == 400, url
        body = _text(response)
        assert 'class="form-error" role="alert"' in body
        assert any(
            words in body for words in ("cannot work on this client", "covers another client", "Choose whom")
        )
    assert _state() == before


def test_another_tenants_policy_and_its_levels_are_404_and_unchanged(world: Any, browser_as: Any) -> None:
    """Bravo's manager cannot reach Alpha's policy; a level of Alpha's policy is not reachable
    through Bravo's own policy either."""
    victim = client_policy(world.a)
    level, target = victim.levels.get(), victim.levels.get().targets.get()
    browser = browser_as(_manager(world, world.b.client))
    own = client_policy(world.b)
    before = _state()
    for url in [
        _url("policy", victim),
        _url("policy_settings", victim),
        _url("policy_default", victim),
        _url("policy_delete", victim),
        _url("level_add", victim),
        _url("level_delay", victim, level.pk),
        _url("level_move", victim, level.pk),
        _url("level_remove", victim, level.pk),
        _url("target_add", victim, level.pk),
        _url("target_remove", victim, level.pk, target.pk),
        _url("service_add", victim),
        _url("service_remove", victim, world.a.service.pk),
        _url("level_delay", own, level.pk),
        _url("target_remove", own, own.levels.get().pk, target.pk),
    ]:
        response = (
            browser.get(url) if url.endswith(f"/{victim.pk}/") else browser.post(url, {"delay_minutes": "1"})
        )
        assert response.status_code == 404, url
        assert world.a.client.name not in _text(response), url
    # Creating a policy for Alpha, or assigning Alpha's service to Bravo's policy: a 400.
    created = browser.post(
        _url("policy_new"), {"name": "Planted", "client": world.a.client.slug, "repeat": "0"}
    )
    assert created.status_code == 400 and "Unknown client" in _text(created)
    assigned = browser.post(_url("service_add", own), {"service": world.a.service.pk})
    assert assigned.status_code == 400
    assert _state() == before


def test_a_technician_sees_no_edit_controls_and_gets_403(world: Any, browser_as: Any) -> None:
    policy = client_policy(world.a)
    level, target = policy.levels.get(), policy.levels.get().targets.get()
    browser = browser_as(world.a.technician)
    page = browser.get(_url("policy", policy))
    assert page.status_code == 200
    body = _text(page)
    assert world.a.technician.full_name in body
    assert f'action="/paging/policies/{policy.pk}/' not in body
    for words in ("Add a level", "Remove level", "Save delay", "Delete this policy", "Make this"):
        assert words not in body
    listing = _text(browser.get(_url("policies")))
    assert "New escalation policy" not in listing and _url("policy_new") not in listing
    before = _state()
    for url in [
        _url("policy_new"),
        _url("policy_settings", policy),
        _url("policy_default", policy),
        _url("policy_delete", policy),
        _url("level_add", policy),
        _url("level_delay", policy, level.pk),
        _url("level_move", policy, level.pk),
        _url("level_remove", policy, level.pk),
        _url("target_add", policy, level.pk),
        _url("target_remove", policy, level.pk, target.pk),
        _url("service_add", policy),
        _url("service_remove", policy, world.a.service.pk),
    ]:
        response = browser.post(url, {"name": "Taken", "delay_minutes": "abc", "target": "user:1"})
        assert response.status_code == 403, url
    assert _state() == before


def test_policy_forms_refuse_what_the_services_refuse(world: Any, browser_as: Any) -> None:
    browser = browser_as(_manager(world))
    policy = client_policy(world.a)
    level = policy.levels.get()
    before = _state()
    duplicate = browser.post(_url("policy_new"), {"name": policy.name, "repeat": "0"})
    assert duplicate.status_code == 400 and "already is a policy named" in _text(duplicate)
    too_many = browser.post(_url("policy_new"), {"name": "Loud", "repeat": "11"})
    assert too_many.status_code == 400 and "Repeat is 0 to 10" in _text(too_many)
    assert 'value="Loud"' in _text(too_many)  # what was typed stays in the form
    nul = browser.post(_url("policy_settings", policy), {"name": "On\x00call", "repeat": "0"})
    assert nul.status_code == 400 and "NUL character" in _text(nul)  # PostgreSQL would refuse it
    nul_client = browser.post(_url("policy_new"), {"name": "Planted", "client": "alpha\x00", "repeat": "0"})
    assert nul_client.status_code == 400 and "Unknown client" in _text(nul_client)
    long_name = browser.post(_url("policy_settings", policy), {"name": "x" * 151, "repeat": "0"})
    assert long_name.status_code == 400 and "at most 150" in _text(long_name)
    top = browser.post(_url("level_move", policy, level.pk), {"direction": "up"})
    assert top.status_code == 400 and "already is the first" in _text(top)
    assert browser.post(_url("level_move", policy, level.pk), {"direction": "sideways"}).status_code == 400
    last_target = browser.post(_url("target_remove", policy, level.pk, level.targets.get().pk))
    assert last_target.status_code == 400 and "needs someone to page" in _text(last_target)
    only_level = browser.post(_url("level_remove", policy, level.pk))  # the policy is Alpha's default
    assert only_level.status_code == 400 and "only level" in _text(only_level)
    other_service = browser.post(_url("service_add", policy), {"service": world.b.service.pk})
    assert other_service.status_code == 400 and "Alpha Dental's services" in _text(other_service)
    assert _state() == before


def test_an_msp_wide_policy_shows_only_the_services_of_clients_one_sees(world: Any, browser_as: Any) -> None:
    owner = browser_as(world.owner)
    shared = _create(owner, name="NOC")
    owner.post(_url("level_add", shared), {"target": f"user:{world.owner.pk}", "delay_minutes": "5"})
    for service in (world.a.service, world.b.service):
        assert owner.post(_url("service_add", shared), {"service": service.pk}).status_code == 302
    page = _text(browser_as(_manager(world, world.b.client)).get(_url("policy", shared)))
    assert world.b.service.name in page
    assert world.a.service.name not in page and world.a.client.name not in page


def test_the_policy_page_costs_the_same_queries_for_more_levels(world: Any, browser_as: Any) -> None:
    browser = browser_as(_manager(world))
    policy = client_policy(world.a)
    ServiceFactory(client=world.a.client, name="Backups")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(_url("policy", policy)).status_code == 200
        return len(captured)

    queries()  # warm caches (content types, the session)
    few = queries()
    for delay in (5, 10, 15, 20):
        browser.post(
            _url("level_add", policy), {"target": f"user:{world.owner.pk}", "delay_minutes": str(delay)}
        )
    assert policy.levels.count() == 5
    assert queries() == few
