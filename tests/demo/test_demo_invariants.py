"""The demo makes sense: what it assigns fits the client, and nobody pages or covers nonsense."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.accounts.models import User
from watchkeeper.demo import demo_load
from watchkeeper.oncall import selectors as oncall
from watchkeeper.oncall.models import Override, Schedule
from watchkeeper.paging.models import EscalationPolicy, EscalationTarget, TargetKind
from watchkeeper.sla.models import SlaPolicy
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

TIERS = ("essential", "standard", "premium")


@pytest.fixture
def demo(db: Any, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    demo_load()


def _tiers_named(*texts: str) -> set[str]:
    words = " ".join(texts).lower()
    return {tier for tier in TIERS if tier in words}


def test_sla_and_escalation_policies_fit_their_clients_tier(demo: None) -> None:
    for sla in SlaPolicy.objects.select_related("client"):
        if sla.client is None:
            assert sla.tier, f"{sla.name}: a tier default needs its tier"
            assert _tiers_named(sla.name) <= {sla.tier}, sla.name
        else:  # an explicit per-client override: a tier it names is the client's own
            assert _tiers_named(sla.name) <= {sla.client.contract_tier}, sla.name
    for policy in EscalationPolicy.objects.select_related("client").exclude(client=None):
        assert policy.client is not None
        named = _tiers_named(policy.name, policy.description)
        tier = policy.client.contract_tier
        assert named <= {tier}, f"{policy.name} for a {tier} client"


def _people(target: EscalationTarget) -> set[User]:
    if target.kind == TargetKind.USER:
        return {target.user} if target.user else set()
    if target.kind == TargetKind.SCHEDULE:
        assert target.schedule is not None
        return {m.user for layer in target.schedule.layers.all() for m in layer.members.all()}
    assert target.team is not None
    return set(target.team.members.all())


def test_every_escalation_target_may_work_on_the_clients_its_policy_serves(demo: None) -> None:
    own = set(EscalationPolicy.objects.exclude(client=None).values_list("client_id", flat=True))
    for policy in EscalationPolicy.objects.all():
        served = (
            [policy.client_id]
            if policy.client_id
            else list(Client.objects.filter(is_active=True).exclude(pk__in=own).values_list("pk", flat=True))
        )
        targets = EscalationTarget.objects.filter(level__policy=policy)
        assert targets.exists(), policy.name
        for target in targets:
            for person in _people(target):
                for client_id in served:
                    assert access.may_work_on(person, client_id=client_id), (
                        f"{policy.name} pages {person.email}, who cannot see client {client_id}"
                    )


def test_client_schedules_are_staffed_by_people_who_may_work_on_the_client(demo: None) -> None:
    for schedule in Schedule.objects.exclude(client=None):
        assert schedule.client_id is not None
        for layer in schedule.layers.all():
            for member in layer.members.all():
                user, client_id = member.user, schedule.client_id
                assert access.may_work_on(user, client_id=client_id), (schedule.name, user.email)


def test_no_override_covers_its_own_shift(demo: None) -> None:
    overrides = list(Override.objects.select_related("schedule", "user", "replaces"))
    assert overrides
    for override in overrides:
        assert override.replaces is not None, "an override says whom it covers"
        assert override.replaces != override.user
        middle = override.starts_at + (override.ends_at - override.starts_at) / 2
        override.delete()  # the rotation as it would be without the override
        on_call = oncall.schedule_oncall_users(schedule=override.schedule, at=middle)
        assert override.replaces in on_call, f"{override.replaces} is not on call then"
        assert override.user not in on_call, f"{override.user} covers a week that is hers already"
        assert middle > dt.datetime.now(dt.UTC)
