"""Escalation policies one change at a time (the console's services): positions stay 0..n-1,
targets follow the same rules as the API's whole-policy writes, in-use policies keep a level."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.factories import TeamFactory, UserFactory
from tests.oncall.factories import make_schedule, victim_schedule
from watchkeeper.accounts.models import Role
from watchkeeper.core.errors import Forbidden, InvalidInput
from watchkeeper.paging.models import EscalationLevel, EscalationPolicy, ServiceEscalation, TargetKind
from watchkeeper.paging.services import levels, policies
from watchkeeper.paging.services.policies import TargetSpec

pytestmark = pytest.mark.django_db


def _user(pk: int) -> TargetSpec:
    return TargetSpec(TargetKind.USER, pk)


def _positions(policy: EscalationPolicy) -> list[tuple[int, int]]:
    return list(policy.levels.order_by("position").values_list("position", "delay_minutes"))


def _three_levels(world: Any) -> EscalationPolicy:
    policy = policies.policy_create(actor=world.owner, name="Alpha on call", client=world.a.client)
    for delay in (5, 10, 15):
        levels.policy_level_add(
            actor=world.owner, policy=policy, delay_minutes=delay, target=_user(world.a.technician.pk)
        )
    return policy


def test_levels_are_added_moved_and_removed_keeping_positions_contiguous(world: Any) -> None:
    policy = _three_levels(world)
    assert _positions(policy) == [(0, 5), (1, 10), (2, 15)]
    last = policy.levels.get(position=2)
    assert levels.policy_level_move(actor=world.owner, level=last, offset=-1) == 2
    assert _positions(policy) == [(0, 5), (1, 15), (2, 10)]
    with pytest.raises(InvalidInput, match="already is the first"):
        levels.policy_level_move(actor=world.owner, level=policy.levels.get(position=0), offset=-1)
    levels.policy_level_remove(actor=world.owner, level=policy.levels.get(position=0))
    assert _positions(policy) == [(0, 15), (1, 10)]
    levels.policy_level_update(actor=world.owner, level=policy.levels.get(position=1), delay_minutes=0)
    assert _positions(policy) == [(0, 15), (1, 0)]


def test_the_last_level_of_a_policy_in_use_stays(world: Any) -> None:
    policy = policies.policy_create(actor=world.owner, name="Alpha on call", client=world.a.client)
    with pytest.raises(InvalidInput, match="no levels yet"):
        policies.policy_default_set(actor=world.owner, policy=policy, is_default=True)
    with pytest.raises(InvalidInput, match="no levels yet"):
        policies.service_policy_set(actor=world.owner, service=world.a.service, policy=policy)
    level = levels.policy_level_add(
        actor=world.owner, policy=policy, delay_minutes=5, target=_user(world.a.technician.pk)
    )
    policies.service_policy_set(actor=world.owner, service=world.a.service, policy=policy)
    with pytest.raises(InvalidInput, match="only level"):
        levels.policy_level_remove(actor=world.owner, level=level)
    assert EscalationLevel.objects.filter(policy=policy).count() == 1


def test_targets_follow_the_policys_client(world: Any) -> None:
    policy = _three_levels(world)
    level = policy.levels.get(position=0)
    for spec, message in [
        (_user(world.b.technician.pk), "cannot work on this client"),
        (TargetSpec(TargetKind.SCHEDULE, victim_schedule(world.b).pk), "covers another client"),
        (TargetSpec(TargetKind.TEAM, 999_999), "Unknown team"),
        (_user(world.a.technician.pk), "already pages"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            levels.policy_target_add(actor=world.owner, level=level, target=spec)
    team = TeamFactory()
    noc = make_schedule([world.owner], name="NOC")
    levels.policy_target_add(actor=world.owner, level=level, target=TargetSpec(TargetKind.SCHEDULE, noc.pk))
    added = levels.policy_target_add(
        actor=world.owner, level=level, target=TargetSpec(TargetKind.TEAM_ROUND_ROBIN, team.pk)
    )
    assert added.team == team
    assert level.targets.count() == 3


def test_an_msp_wide_policy_pages_only_msp_wide_schedules(world: Any) -> None:
    policy = policies.policy_create(actor=world.owner, name="NOC")
    with pytest.raises(InvalidInput, match="MSP-wide schedules only"):
        levels.policy_level_add(
            actor=world.owner, policy=policy, delay_minutes=5,
            target=TargetSpec(TargetKind.SCHEDULE, victim_schedule(world.a).pk),
        )  # fmt: skip
    assert not policy.levels.exists()


def test_a_levels_last_target_stays(world: Any) -> None:
    policy = _three_levels(world)
    level = policy.levels.get(position=0)
    with pytest.raises(InvalidInput, match="needs someone to page"):
        levels.policy_target_remove(actor=world.owner, target=level.targets.get())
    levels.policy_target_add(actor=world.owner, level=level, target=_user(world.owner.pk))
    levels.policy_target_remove(actor=world.owner, target=level.targets.get(user=world.a.technician))
    assert [target.user for target in level.targets.all()] == [world.owner]


def test_making_a_policy_the_default_replaces_the_previous_one(world: Any) -> None:
    first = _three_levels(world)
    second = policies.policy_create(actor=world.owner, name="Alpha nights", client=world.a.client)
    levels.policy_level_add(actor=world.owner, policy=second, delay_minutes=5, target=_user(world.owner.pk))
    assert policies.policy_default_set(actor=world.owner, policy=first, is_default=True) is None
    previous = policies.policy_default_set(actor=world.owner, policy=second, is_default=True)
    assert previous == first
    assert list(EscalationPolicy.objects.filter(client=world.a.client, is_default=True)) == [second]
    policies.policy_default_set(actor=world.owner, policy=second, is_default=False)
    assert not EscalationPolicy.objects.filter(client=world.a.client, is_default=True).exists()


def test_technicians_change_nothing(world: Any) -> None:
    policy = _three_levels(world)
    with pytest.raises(Forbidden):
        levels.policy_level_add(
            actor=world.a.technician, policy=policy, delay_minutes=5, target=_user(world.a.technician.pk)
        )
    with pytest.raises(Forbidden):
        policies.policy_create(actor=world.a.technician, name="Mine")
    assert policy.levels.count() == 3


def test_giving_a_policy_to_one_client_is_refused_while_others_services_use_it(world: Any) -> None:
    """The API's whole-policy PUT: a shared policy paging for B's service cannot become A's."""
    manager = UserFactory(role=Role.MANAGER, all_clients=True)
    shared = policies.policy_create(actor=manager, name="Shared")
    levels.policy_level_add(actor=manager, policy=shared, delay_minutes=5, target=_user(manager.pk))
    policies.service_policy_set(actor=manager, service=world.b.service, policy=shared)
    whole = [policies.LevelSpec(5, [_user(world.a.technician.pk)])]
    with pytest.raises(InvalidInput, match="another client use this policy"):
        policies.policy_save(actor=manager, policy=shared, name="Shared", levels=whole, client=world.a.client)
    shared.refresh_from_db()
    assert shared.client is None
    assert ServiceEscalation.objects.get(service=world.b.service).policy == shared
