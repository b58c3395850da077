"""The paging panel of the incident page, as the selector computes it for the console view."""

from __future__ import annotations

from typing import Any

import pytest

from tests.paging.factories import client_policy
from watchkeeper.paging.selectors import incident_panel

pytestmark = pytest.mark.django_db


def test_someone_who_may_only_follow_gets_the_state_but_no_choices(world: Any) -> None:
    client_policy(world.a)
    panel = incident_panel(incident=world.a.incident, can_respond=False)
    assert panel.escalation is None
    assert (panel.levels, panel.people) == ([], [])


def test_a_responder_gets_the_policys_levels_and_the_staff_who_work_on_the_client(world: Any) -> None:
    policy = client_policy(world.a)
    panel = incident_panel(incident=world.a.incident, can_respond=True)
    assert [level.pk for level in panel.levels] == [level.pk for level in policy.levels.all()]
    assert world.a.technician in panel.people and world.owner in panel.people
    assert world.b.technician not in panel.people  # assigned to another client only
