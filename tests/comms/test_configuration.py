"""Policies and templates: validation that names the problem, templates refused at save with the
failing line, the sandbox's budget, permissions, and the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.comms.factories import contact_make, policy_make
from watchkeeper.audit.models import AuditEntry
from watchkeeper.comms import configuration
from watchkeeper.comms.messages import template_for
from watchkeeper.comms.models import CommunicationPolicy, MessageTemplate
from watchkeeper.comms.selectors import policy_for, recipients_for, rule_for
from watchkeeper.core.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("rules", "field", "words"),
    [
        ({"P9": {}}, "rules.P9", "Unknown priority"),
        ({"P1": {"roles": ["ceo"]}}, "rules.P1.roles", "Roles are some of"),
        ({"P1": {"events": ["always"]}}, "rules.P1.events", "Events are some of"),
        ({"P1": {"cadence_minutes": 1}}, "rules.P1.cadence_minutes", "from 5 to 10080"),
        ({"P1": {"cadence_minutes": True}}, "rules.P1.cadence_minutes", "from 5 to 10080"),
        ({"P1": {"colour": "red"}}, "rules.P1", "Unknown field"),
        (["P1"], "rules", "map a priority"),
    ],
)
def test_rules_are_refused_with_what_is_wrong(world: Any, rules: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        configuration.policy_save(actor=world.owner, client=None, rules=rules)
    assert refused.value.field == field and words in refused.value.message
    assert not CommunicationPolicy.objects.exists()


def test_a_policy_is_saved_audited_and_the_client_one_wins(world: Any) -> None:
    default = configuration.policy_save(
        actor=world.owner, client=None, rules={"P1": {"roles": ["primary"], "events": ["opened"]}}
    )
    own = configuration.policy_save(
        actor=world.owner, client=world.a.client,
        rules={"P1": {"roles": ["technical"], "events": ["opened", "update"], "cadence_minutes": 30}},
    )  # fmt: skip
    assert policy_for(world.a.client) == own
    assert policy_for(world.b.client) == default
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["comms_policy.create", "comms_policy.create"]
    with pytest.raises(Conflict):
        configuration.policy_save(actor=world.owner, client=world.a.client, rules={})


def test_only_who_works_on_every_client_sets_the_default(world: Any) -> None:
    with pytest.raises(Forbidden):
        configuration.policy_save(actor=world.a.technician, client=None, rules={})
    with pytest.raises(Forbidden):  # a technician may not edit a client
        configuration.policy_save(actor=world.a.technician, client=world.a.client, rules={})


def test_a_template_that_does_not_compile_is_refused_with_its_line(world: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        configuration.template_save(
            actor=world.owner, client=None, kind="update", subject="Update", body="Hello,\n\n{% if %}\n"
        )
    assert refused.value.field == "body" and refused.value.message.startswith("Line 3:")
    assert not MessageTemplate.objects.exists()


def test_a_template_that_fails_to_render_is_refused_with_its_line(world: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        configuration.template_save(
            actor=world.owner, client=None, kind="update", subject="Update", body="a\nb\n{{ 1 // 0 }}"
        )
    assert refused.value.message.startswith("Line 3: ZeroDivisionError")


def test_a_template_that_costs_too_much_is_refused(world: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        configuration.template_save(
            actor=world.owner, client=None, kind="update", subject="x", body="{{ 'x'.ljust(10**9) }}"
        )
    assert "costs too much" in refused.value.message


def test_the_client_template_overrides_the_msps_which_overrides_the_built_in(world: Any) -> None:
    assert template_for(client=world.a.client, kind="update")[0].startswith(
        "[{{ incident.reference }}] Update"
    )
    configuration.template_save(
        actor=world.owner, client=None, kind="update", subject="MSP {{ text }}", body="b"
    )
    configuration.template_save(
        actor=world.owner, client=world.a.client, kind="update", subject="A", body="b"
    )
    assert template_for(client=world.a.client, kind="update") == ("A", "b")
    assert template_for(client=world.b.client, kind="update") == ("MSP {{ text }}", "b")


def test_preview_with_a_real_incident(world: Any) -> None:
    rendered = configuration.template_check(
        subject="[{{ incident.reference }}] {{ incident.title }}", body="{{ client.name }}: {{ impact }}",
        incident=world.a.incident,
    )  # fmt: skip
    assert rendered.subject == f"[{world.a.incident.reference}] {world.a.incident.title}"
    assert rendered.body == f"{world.a.client.name}: What is happening."


def test_recipients_by_role_and_portal_users(world: Any) -> None:
    tech = contact_make(world.a.client, "Tina Tech", "tina@alpha.example", "technical")
    contact_make(world.a.client, "Bill", "bill@alpha.example", "billing")
    contact_make(world.a.client, "No Mail", "", "technical")
    contact_make(
        world.a.client, "Opted out", "out@alpha.example", "technical", receives_incident_updates=False
    )
    policy_make(world.a.client, P1=(["technical", "portal"], 30))
    rule = rule_for(
        policy_for(world.a.client), world.a.incident.__class__(priority="P1", client=world.a.client)
    )
    found = recipients_for(client=world.a.client, roles=rule.roles)
    addresses = [r.address for r in found]
    assert tech.email in addresses and "bill@alpha.example" not in addresses
    assert world.a.client_user.email in addresses and world.a.client_admin.email in addresses
    assert "out@alpha.example" not in addresses
    assert world.b.client_user.email not in addresses


def test_contact_roles_are_checked_and_audited(world: Any) -> None:
    with pytest.raises(InvalidInput):
        configuration.contact_roles_set(actor=world.owner, contact=world.a.contact, roles=["ceo"])
    row = configuration.contact_roles_set(
        actor=world.owner, contact=world.a.contact, roles=["technical", "billing"]
    )
    assert row.roles == ["billing", "technical"]
    assert AuditEntry.objects.filter(action="contact_roles.update").exists()


def test_the_review_summary_goes_once_to_the_policys_recipients(world: Any) -> None:
    from watchkeeper.comms.services import review_summary_send

    contact_make(world.a.client, "Tina", "tina@alpha.example", "technical")
    policy = policy_make(world.a.client, **{world.a.incident.priority: (["technical"], 30)})
    sent = review_summary_send(incident=world.a.incident, by=world.owner, text="Root cause: a full disk.")
    assert sent is not None and sent.kind == "summary" and "Root cause" in sent.body
    assert [d.address for d in sent.deliveries.all()] == ["tina@alpha.example"]
    assert review_summary_send(incident=world.a.incident, by=world.owner, text="again") is None
    policy.rules[world.a.incident.priority]["events"] = ["opened"]
    policy.save()
    assert review_summary_send(incident=world.a.incident, by=world.owner, text="x", cause="review:2") is None
