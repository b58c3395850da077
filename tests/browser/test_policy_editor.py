"""The escalation policy editor in a real browser: a manager builds a two-level policy from an
empty list, with plain form posts, and sees it on the policy page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import TeamFactory, UserFactory
from tests.browser.helpers import sign_in
from tests.conftest import make_tenant
from watchkeeper.accounts.models import Role, TeamMembership
from watchkeeper.paging.models import EscalationPolicy, TargetKind

pytestmark = pytest.mark.slow


def test_a_manager_builds_a_two_level_policy(page: Any, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    manager = UserFactory(role=Role.MANAGER, all_clients=True, full_name="Morgan Manager")
    desk = TeamFactory(name="Service desk")
    TeamMembership.objects.create(team=desk, user=tenant.technician)
    sign_in(page, manager.email)

    page.goto("/paging/policies/")
    expect(page.get_by_text("No escalation policies yet")).to_be_visible()
    new = page.locator("#new-policy form")  # open by itself: there is no policy yet
    new.get_by_label("Name").fill("Alpha Dental office hours")
    new.get_by_label("For").select_option(label="Alpha Dental only")
    new.get_by_label("Repeats").fill("1")
    shot(page, "escalation-policy-new")
    new.get_by_role("button", name="Create policy").click()

    expect(page.get_by_role("heading", name="Alpha Dental office hours")).to_be_visible()
    expect(page.get_by_text("No levels yet")).to_be_visible()
    first = page.locator("#add-level form")  # open by itself: no level yet
    first.locator("select[name=target]").select_option(label=tenant.technician.full_name)
    first.get_by_label("Then wait (minutes)").fill("10")
    first.get_by_role("button", name="Add level 1").click()
    expect(page.get_by_role("heading", name="Level 1")).to_be_visible()

    page.locator("#add-level summary").click()
    second = page.locator("#add-level form")
    second.locator("select[name=target]").select_option(label="Service desk")
    second.get_by_label("one member in turn (round-robin)").check()
    second.get_by_label("Then wait (minutes)").fill("20")
    second.get_by_role("button", name="Add level 2").click()

    level_two = page.locator("li.level", has=page.get_by_role("heading", name="Level 2"))
    expect(level_two.locator("ul.targets").get_by_text("Team (round-robin)")).to_be_visible()
    expect(level_two.locator("ul.targets").get_by_text("Service desk")).to_be_visible()
    level_one = page.locator("li.level", has=page.get_by_role("heading", name="Level 1"))
    expect(level_one.locator("ul.targets").get_by_text(tenant.technician.full_name)).to_be_visible()
    expect(level_one.get_by_text("After 10 min without an acknowledgement, page level 2.")).to_be_visible()
    expect(level_two.get_by_text("start again from level 1")).to_be_visible()
    shot(page, "escalation-policy")

    policy = EscalationPolicy.objects.get(name="Alpha Dental office hours")
    assert (policy.client, policy.repeat) == (tenant.client, 1)
    levels = [
        (level.delay_minutes, [(t.kind, t.user_id or t.team_id) for t in level.targets.all()])
        for level in policy.levels.order_by("position")
    ]
    assert levels == [
        (10, [(TargetKind.USER, tenant.technician.pk)]),
        (20, [(TargetKind.TEAM_ROUND_ROBIN, desk.pk)]),
    ]
