"""Event rules: conditions, ordering, actions, validation on save, tenancy and the ingest cache."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, EventRule
from watchkeeper.alerts.rules import rules_decide
from watchkeeper.alerts.services.apply import event_apply
from watchkeeper.alerts.services.rules import (
    event_rule_create,
    event_rule_delete,
    event_rule_reorder,
    event_rule_update,
)
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock
from watchkeeper.core.errors import Forbidden, InvalidInput
from watchkeeper.incidents.models import Incident
from watchkeeper.policy.selectors import priority_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC)


def _event(**fields: Any) -> AlertEvent:
    base: dict[str, Any] = {
        "action": "trigger",
        "dedup_key": "db01/disk",
        "summary": "DISK at 99% on db01",
        "source": "db01.example",
        "severity": "critical",
    }
    return AlertEvent(**{**base, **fields})


def _rule(world: Any, conditions: list[dict[str, Any]], actions: dict[str, Any], **extra: Any) -> EventRule:
    name = extra.pop("name", f"rule {EventRule.objects.count() + 1}")
    return event_rule_create(
        actor=world.owner, client=world.a.client, name=name, conditions=conditions, actions=actions, **extra
    )


@pytest.fixture
def integration(world: Any) -> Any:
    return IntegrationFactory(default_service=world.a.service)


def _suppressed(integration: Any, event: AlertEvent) -> bool:
    return bool(rules_decide(integration=integration, event=event, at=NOW).suppress_reason)


LABELS = {"env": "prod", "team": "infra"}
DETAILS = {"disk": {"mount": "/var", "free": 1}, "host": "db01", "ok": False}


@pytest.mark.parametrize(
    ("condition", "event", "expected"),
    [
        ({"field": "summary", "op": "equals", "value": "DISK at 99% on db01"}, {}, True),
        ({"field": "summary", "op": "equals", "value": "DISK at 99%"}, {}, False),
        ({"field": "summary", "op": "contains", "value": "99%"}, {}, True),
        ({"field": "summary", "op": "contains", "value": "disk"}, {}, False),  # case matters
        ({"field": "source", "op": "regex", "value": r"^db\d+\."}, {}, True),
        ({"field": "source", "op": "regex", "value": r"(?i)^DB01"}, {}, True),
        ({"field": "source", "op": "regex", "value": r"^web"}, {}, False),
        ({"field": "severity", "op": "equals", "value": "critical"}, {}, True),
        ({"field": "component", "op": "exists"}, {}, False),
        ({"field": "component", "op": "exists"}, {"component": "mysql"}, True),
        ({"field": "dedup_key", "op": "contains", "value": "/disk"}, {}, True),
        ({"field": "labels.env", "op": "equals", "value": "prod"}, {"labels": LABELS}, True),
        ({"field": "labels.env", "op": "exists"}, {"labels": LABELS}, True),
        ({"field": "labels.env", "op": "exists"}, {}, False),
        ({"field": "labels.team", "op": "regex", "value": "^(ops|infra)$"}, {"labels": LABELS}, True),
        (
            {"field": "labels.app.kubernetes.io/name", "op": "equals", "value": "shop"},
            {"labels": {"app.kubernetes.io/name": "shop"}},
            True,
        ),
        ({"field": "details.disk.mount", "op": "exists"}, {"details": DETAILS}, True),
        ({"field": "details.a.b", "op": "equals", "value": "1"}, {"details": {"a.b": 1}}, True),
        ({"field": "details.disk.size", "op": "exists"}, {"details": DETAILS}, False),
        ({"field": "details.disk.mount", "op": "regex", "value": "^/var"}, {"details": DETAILS}, True),
        ({"field": "details.disk.free", "op": "equals", "value": "1"}, {"details": DETAILS}, True),
        ({"field": "details.ok", "op": "equals", "value": "false"}, {"details": DETAILS}, True),
        ({"field": "details.disk", "op": "contains", "value": '"mount": "/var"'}, {"details": DETAILS}, True),
        # negate turns each answer round, including "the field is missing".
        ({"field": "labels.env", "op": "equals", "value": "prod", "negate": True}, {"labels": LABELS}, False),
        ({"field": "labels.env", "op": "equals", "value": "prod", "negate": True}, {}, True),
        ({"field": "labels.env", "op": "exists", "negate": True}, {}, True),
        ({"field": "summary", "op": "regex", "value": "^DISK", "negate": True}, {}, False),
        (
            {"field": "details.host", "op": "contains", "value": "web", "negate": True},
            {"details": DETAILS},
            True,
        ),
    ],
)
def test_each_operator(world: Any, integration: Any, condition: Any, event: Any, expected: bool) -> None:
    _rule(world, [condition], {"suppress": True})
    assert _suppressed(integration, _event(**event)) is expected


def test_all_conditions_must_match(world: Any, integration: Any) -> None:
    _rule(
        world,
        [
            {"field": "labels.env", "op": "equals", "value": "prod"},
            {"field": "severity", "op": "equals", "value": "info"},
        ],
        {"suppress": True},
    )
    assert not _suppressed(integration, _event(labels={"env": "prod"}))
    assert _suppressed(integration, _event(labels={"env": "prod"}, severity="info"))


def test_no_conditions_matches_everything_and_suppress_reason_names_the_rule(
    world: Any, integration: Any
) -> None:
    _rule(world, [], {"suppress": True}, name="Quiet hours")
    decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert decision.suppress_reason == "rule: Quiet hours"
    assert decision.matched == ["Quiet hours"]


def test_order_later_rules_refine_unless_stop(world: Any, integration: Any) -> None:
    first = _rule(world, [], {"severity": "warning", "tags": ["a"]})
    second = _rule(world, [], {"severity": "info", "tags": ["b", "a"]})
    decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert (decision.severity, decision.tags) == ("info", ["a", "b"])

    event_rule_update(
        actor=world.owner, rule=first, actions={"severity": "warning", "tags": ["a"], "stop": True}
    )
    decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert (decision.severity, decision.tags) == ("warning", ["a"])

    event_rule_reorder(actor=world.owner, client=world.a.client, rule_ids=[second.pk, first.pk])
    decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert (decision.severity, decision.tags) == ("warning", ["b", "a"])
    assert list(EventRule.objects.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]


def test_conditions_on_severity_see_an_earlier_downgrade_and_suppress_false_lifts(
    world: Any, integration: Any
) -> None:
    _rule(world, [{"field": "source", "op": "contains", "value": "db01"}], {"severity": "info"})
    _rule(world, [{"field": "severity", "op": "equals", "value": "info"}], {"suppress": True}, name="no info")
    assert rules_decide(integration=integration, event=_event(), at=NOW).suppress_reason == "rule: no info"
    _rule(world, [{"field": "labels.vip", "op": "exists"}], {"suppress": False})
    assert not _suppressed(integration, _event(labels={"vip": "yes"}))


def test_rule_limited_to_one_integration(world: Any, integration: Any) -> None:
    other = IntegrationFactory(default_service=world.a.service)
    _rule(world, [], {"suppress": True}, integration=other)
    assert not _suppressed(integration, _event())
    assert _suppressed(other, _event())


def test_disabled_rules_do_not_apply(world: Any, integration: Any) -> None:
    _rule(world, [], {"suppress": True}, is_enabled=False)
    assert not _suppressed(integration, _event())


def test_routing_to_a_service_by_name(world: Any, integration: Any) -> None:
    web = ServiceFactory(client=world.a.client, name="Web shop")
    _rule(world, [{"field": "labels.service", "op": "equals", "value": "shop"}], {"service": "Web shop"})
    alert = event_apply(integration=integration, event=_event(labels={"service": "shop"}))
    assert alert is not None and alert.service == web
    assert alert.incident is not None and alert.incident.service == web
    other = event_apply(integration=integration, event=_event(dedup_key="other"))
    assert other is not None and other.service == world.a.service


@pytest.mark.parametrize(
    ("actions", "impact", "urgency"),
    [
        ({}, "high", "high"),  # critical's defaults
        ({"severity": "info"}, "low", "low"),
        ({"severity": "warning"}, "medium", "low"),
        ({"impact": "low"}, "low", "high"),  # the other half from the severity
        ({"impact": "medium", "urgency": "medium"}, "medium", "medium"),
    ],
)
def test_level_overrides_give_the_matrix_priority(
    world: Any, integration: Any, actions: dict[str, Any], impact: str, urgency: str
) -> None:
    if actions:
        _rule(world, [], actions)
    alert = event_apply(integration=integration, event=_event())
    assert alert is not None and alert.incident is not None
    incident = alert.incident
    assert (incident.impact, incident.urgency) == (impact, urgency)
    assert incident.priority == priority_for(impact=impact, urgency=urgency)
    assert alert.severity == actions.get("severity", "critical")


def test_category_and_tags_land_on_the_alert_and_incident(world: Any, integration: Any) -> None:
    _rule(world, [], {"category": "server", "tags": ["storage", "db"]})
    alert = event_apply(integration=integration, event=_event())
    assert alert is not None and alert.incident is not None
    assert (alert.category, alert.tags, alert.incident.category) == ("server", ["storage", "db"], "server")


def test_suppress_keeps_the_alert_without_an_incident(world: Any, integration: Any) -> None:
    _rule(world, [{"field": "severity", "op": "equals", "value": "info"}], {"suppress": True}, name="Info")
    alert = event_apply(integration=integration, event=_event(severity="info"))
    assert alert is not None
    alert.refresh_from_db()
    assert (alert.suppressed, alert.suppressed_reason, alert.incident) == (True, "rule: Info", None)
    assert not Incident.objects.filter(service=integration.default_service, title=alert.summary).exists()
    # Repeats still count on the kept alert.
    event_apply(integration=integration, event=_event(severity="info"))
    alert.refresh_from_db()
    assert alert.occurrence_count == 2


def test_drop_stores_nothing_and_counts(world: Any, integration: Any) -> None:
    rule = _rule(world, [{"field": "source", "op": "regex", "value": "^db"}], {"drop": True}, name="Noise")
    decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert (decision.drop, decision.drop_reason) == (True, "rule: Noise")
    clock.freeze(NOW)
    assert event_apply(integration=integration, event=_event()) is None
    assert event_apply(integration=integration, event=_event()) is None
    assert not Alert.objects.filter(integration=integration).exists()
    assert not Incident.objects.filter(title=_event().summary).exists()
    rule.refresh_from_db()
    assert (rule.dropped_count, rule.last_dropped_at) == (2, NOW)


def test_a_drop_rule_never_swallows_a_resolve(world: Any, integration: Any) -> None:
    event_apply(integration=integration, event=_event())
    _rule(world, [{"field": "dedup_key", "op": "exists"}], {"drop": True})
    event_apply(integration=integration, event=AlertEvent(action="resolve", dedup_key="db01/disk"))
    assert Alert.objects.get(integration=integration).status == "resolved"


def test_rules_apply_through_the_endpoint_and_the_inbox(world: Any, integration: Any) -> None:
    from django.test import Client as HttpClient

    from watchkeeper.alerts.services.processing import inbox_process

    _rule(world, [{"field": "details.env", "op": "equals", "value": "test"}], {"drop": True})
    _rule(world, [{"field": "severity", "op": "equals", "value": "info"}], {"suppress": True})
    for key, severity, details in (("a", "critical", {"env": "test"}), ("b", "info", {}), ("c", "error", {})):
        body = {
            "routing_key": integration.key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {"summary": key, "source": "x", "severity": severity, "custom_details": details},
        }
        assert HttpClient().post("/v2/enqueue", body, content_type="application/json").status_code == 202
    assert inbox_process() == 3
    alerts = Alert.objects.filter(integration=integration)
    assert dict(alerts.values_list("dedup_key", "suppressed")) == {"b": True, "c": False}
    assert list(Incident.objects.filter(alerts__integration=integration).values_list("title", flat=True)) == [
        "c"
    ]


@pytest.mark.parametrize(
    ("conditions", "actions", "message"),
    [
        ([{"field": "summary", "op": "regex", "value": "(unclosed"}], {"suppress": True}, "invalid regex"),
        ([{"field": "summary", "op": "regex", "value": "a" * 301}], {"suppress": True}, "longer than 300"),
        (
            [{"field": "hostname", "op": "equals", "value": "x"}],
            {"suppress": True},
            "unknown field 'hostname'",
        ),
        ([{"field": "labels.", "op": "exists"}], {"suppress": True}, "unknown field"),
        ([{"field": "summary", "op": "startswith", "value": "x"}], {"suppress": True}, "unknown op"),
        ([{"field": "summary", "op": "contains"}], {"suppress": True}, "needs a text 'value'"),
        ([{"field": "summary", "op": "exists", "negate": "yes"}], {"suppress": True}, "'negate'"),
        ("summary", {"suppress": True}, "must be a list"),
        ([], {"service": "Nope"}, "Unknown service 'Nope'"),
        ([], {"impact": "huge"}, "Unknown impact 'huge'"),
        ([], {"urgency": "now"}, "Unknown urgency 'now'"),
        ([], {"category": "plumbing"}, "Unknown category 'plumbing'"),
        ([], {"severity": "fatal"}, "Unknown severity 'fatal'"),
        ([], {"colour": "red"}, "Unknown actions: colour"),
        ([], {"tags": "db"}, "'tags'"),
        ([], {"suppress": "yes"}, "'suppress' must be true or false"),
        ([], {"drop": True, "severity": "info"}, "dropping rule"),
        ([], {}, "at least one action"),
    ],
)
def test_invalid_rules_are_refused_with_a_clear_message(
    world: Any, conditions: Any, actions: Any, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _rule(world, conditions, actions)
    assert message in refused.value.message
    assert refused.value.status == 400
    assert EventRule.objects.count() == 0


def test_update_is_validated_too(world: Any) -> None:
    rule = _rule(world, [], {"suppress": True})
    with pytest.raises(InvalidInput, match="invalid regex"):
        event_rule_update(
            actor=world.owner, rule=rule, conditions=[{"field": "summary", "op": "regex", "value": "["}]
        )
    with pytest.raises(InvalidInput, match="needs a name"):
        event_rule_update(actor=world.owner, rule=rule, name=" ")
    rule.refresh_from_db()
    assert rule.conditions == []


def test_a_rule_cannot_route_to_another_clients_service(world: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        _rule(world, [], {"service": world.b.service.name})
    assert refused.value.status == 400
    assert "Unknown service" in refused.value.message
    with pytest.raises(InvalidInput, match="Unknown integration"):
        _rule(world, [], {"suppress": True}, integration=IntegrationFactory(default_service=world.b.service))
    with pytest.raises(InvalidInput, match="Unknown rules"):
        other = event_rule_create(
            actor=world.owner, client=world.b.client, name="b", conditions=[], actions={"suppress": True}
        )
        event_rule_reorder(actor=world.owner, client=world.a.client, rule_ids=[other.pk])


def test_stored_routes_stay_within_the_client(world: Any, integration: Any) -> None:
    """Even a rule row edited behind the services' back cannot send alerts to another client."""
    rule = _rule(world, [], {"service": world.a.service.name})
    EventRule.objects.filter(pk=rule.pk).update(actions={"service": "x", "service_id": world.b.service.pk})
    rule.save()  # a new change token, as any edit makes
    alert = event_apply(integration=integration, event=_event())
    assert alert is not None and alert.service == world.a.service


def test_only_people_who_manage_the_clients_services_may_write_rules(world: Any) -> None:
    with pytest.raises(Forbidden):
        event_rule_create(
            actor=world.b.technician,
            client=world.a.client,
            name="x",
            conditions=[],
            actions={"suppress": True},
        )
    with pytest.raises(Forbidden):
        event_rule_create(
            actor=world.a.client_admin,
            client=world.a.client,
            name="x",
            conditions=[],
            actions={"suppress": True},
        )
    rule = event_rule_create(
        actor=world.a.technician, client=world.a.client, name="x", conditions=[], actions={"suppress": True}
    )
    with pytest.raises(Forbidden):
        event_rule_delete(actor=world.b.technician, rule=rule)


def test_every_write_is_audited(world: Any) -> None:
    rule = _rule(world, [], {"service": world.a.service.name}, name="Route")
    assert rule.actions == {"service": world.a.service.name, "service_id": world.a.service.pk}
    event_rule_update(actor=world.owner, rule=rule, name="Route db")
    event_rule_reorder(actor=world.owner, client=world.a.client, rule_ids=[rule.pk])
    event_rule_delete(actor=world.owner, rule=rule)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "client_id"))
    assert actions == [
        ("event_rule.create", world.a.client.pk),
        ("event_rule.update", world.a.client.pk),
        ("event_rule.reorder", world.a.client.pk),
        ("event_rule.delete", world.a.client.pk),
    ]
    before = AuditEntry.objects.get(action="event_rule.update").before
    assert before is not None and before["name"] == "Route"


def test_the_ingest_cache_costs_one_query_and_sees_every_change(
    world: Any, integration: Any, django_assert_num_queries: Any
) -> None:
    clock.freeze(NOW)  # edits at one frozen instant must still be seen
    rule = _rule(world, [{"field": "summary", "op": "contains", "value": "DISK"}], {"suppress": True})
    assert _suppressed(integration, _event())
    with django_assert_num_queries(1):
        assert _suppressed(integration, _event())
    event_rule_update(
        actor=world.owner, rule=rule, conditions=[{"field": "summary", "op": "contains", "value": "CPU"}]
    )
    assert not _suppressed(integration, _event())
    event_rule_update(actor=world.owner, rule=rule, is_enabled=False)
    event_rule_update(actor=world.owner, rule=rule, conditions=[], is_enabled=True)
    assert _suppressed(integration, _event())
    event_rule_delete(actor=world.owner, rule=rule)
    assert not _suppressed(integration, _event())


def test_a_client_without_rules_costs_one_query(
    world: Any, integration: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert decision == type(decision)()


def test_admin_pages_check_rules_like_the_services(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    for url in (
        "/admin/alerts/eventrule/add/",
        "/admin/alerts/maintenancewindow/add/",
        "/admin/alerts/integration/",
        "/admin/alerts/alert/",
        "/admin/alerts/inboxevent/",
    ):
        assert http.get(url).status_code == 200, url
    assert http.get("/admin/alerts/alert/add/").status_code == 403
    form = {
        "client": world.a.client.pk,
        "name": "bad",
        "position": 0,
        "is_enabled": "on",
        "conditions": '[{"field": "summary", "op": "regex", "value": "("}]',
        "actions": '{"suppress": true}',
    }
    response = http.post("/admin/alerts/eventrule/add/", form)
    assert response.status_code == 200 and "invalid regex" in response.content.decode()
    form["conditions"] = "[]"
    form["actions"] = f'{{"service": "{world.a.service.name}"}}'
    assert http.post("/admin/alerts/eventrule/add/", form).status_code == 302
    rule = EventRule.objects.get(name="bad")
    assert rule.actions["service_id"] == world.a.service.pk
    assert AuditEntry.objects.filter(action="eventrule.create", via="admin").exists()


def test_a_broken_row_written_around_the_services_is_skipped(world: Any, integration: Any) -> None:
    good = _rule(world, [], {"suppress": True}, name="good")
    bad = EventRule(client=world.a.client, name="bad", position=0, conditions=[{"op": "regex"}], actions={})
    bad.save()
    decision = rules_decide(integration=integration, event=_event(), at=NOW)
    assert decision.matched == [good.name]
