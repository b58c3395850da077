"""What every URL and API operation is, for the isolation matrix.

Each capability adds its URLs and operations here. The matrix fails on any URL or
operation that is not declared, so nothing new escapes the isolation tests.

Kinds:
- PUBLIC: no tenant data (health checks, sign-in pages); must not show the other tenant.
- PAGE / LIST: may answer (200, 302, 403…), must never show the other tenant's data.
- DETAIL: addressed by the other tenant's object: must answer 404.
- WRITE: a write that points at the other tenant's objects: 400, 403 or 404, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PUBLIC, PAGE, LIST, DETAIL, WRITE = "public", "page", "list", "detail", "write"


@dataclass(frozen=True)
class Spec:
    kind: str
    # Builds URL kwargs (HTML) or path parameters (API) from the victim tenant.
    params: Callable[[Any], dict[str, Any]] = field(default=lambda victim: {})
    # Builds a JSON body (API writes) or form data (HTML POSTs) from the victim tenant.
    body: Callable[[Any], dict[str, Any]] | None = None
    method: str = "GET"
    # Query-string parameters for API operations.
    query: dict[str, str] = field(default_factory=dict)
    # API lists that take a `client` filter: filtering by the other tenant must answer 404.
    client_filter: bool = False
    # DETAIL control: which of the victim tenant's own users gets 200 (MSP-only data: "technician").
    viewer: str = "client_admin"


def _client_slug(v: Any) -> dict[str, Any]:
    return {"slug": v.client.slug}


def _integration(v: Any) -> dict[str, Any]:
    return {"integration_id": v.integration.pk}


def _monitor(v: Any) -> dict[str, Any]:
    from watchkeeper.monitoring.models import Monitor
    from watchkeeper.monitoring.services import monitor_create

    monitor = Monitor.objects.filter(client=v.client).first() or monitor_create(
        actor="test", client=v.client, service=v.service, name=f"{v.client.name} router", kind="tcp",
        target="10.0.0.1:22",
    )  # fmt: skip
    return {"monitor_id": monitor.pk}


def _incident(v: Any) -> dict[str, Any]:
    return {"incident_id": v.incident.pk}


def _rule(v: Any) -> dict[str, Any]:
    from watchkeeper.alerts.models import EventRule

    rule, _ = EventRule.objects.get_or_create(
        client=v.client, name=f"{v.client.name} rule", defaults={"actions": {"severity": "warning"}}
    )
    return {"rule_id": rule.pk}


def _window(v: Any) -> dict[str, Any]:
    import datetime as dt

    from watchkeeper.alerts.models import MaintenanceWindow

    start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    window, _ = MaintenanceWindow.objects.get_or_create(
        client=v.client,
        name=f"{v.client.name} window",
        defaults={"starts_at": start, "ends_at": start + dt.timedelta(hours=2)},
    )
    return {"window_id": window.pk}


def _window_body(slug: str) -> dict[str, Any]:
    return {
        "client": slug,
        "name": "Planted",
        "starts_at": "2027-01-01T00:00Z",
        "ends_at": "2027-01-02T00:00Z",
    }


def _schedule(v: Any) -> dict[str, Any]:
    """A schedule dedicated to the victim (named after it, so a leak shows), with an override."""
    from tests.oncall.factories import victim_schedule

    return {"schedule_id": victim_schedule(v).pk}


def _override(v: Any) -> dict[str, Any]:
    from tests.oncall.factories import victim_schedule

    schedule = victim_schedule(v)
    return {"schedule_id": schedule.pk, "override_id": schedule.overrides.get().pk}


def _layer(v: Any) -> dict[str, Any]:
    from tests.oncall.factories import victim_schedule

    schedule = victim_schedule(v)
    return {"schedule_id": schedule.pk, "layer_id": schedule.layers.get().pk}


def _planted(v: Any) -> dict[str, Any]:
    """Lists: make sure the victim has a schedule that must not show."""
    _schedule(v)
    return {}


def _sla_policy(v: Any) -> dict[str, Any]:
    """The victim's own SLA policy override (created on first use)."""
    from watchkeeper.sla.models import SlaPolicy

    policy, _ = SlaPolicy.objects.get_or_create(client=v.client, defaults={"name": f"{v.client.name} SLA"})
    return {"policy_id": policy.pk}


def _sla_breach(v: Any) -> dict[str, Any]:
    """A breach on the victim's incident (created on first use)."""
    from watchkeeper.core import clock
    from watchkeeper.sla.models import SlaBreach

    breach, _ = SlaBreach.objects.get_or_create(
        incident=v.incident, kind="response", cycle=0,
        defaults={"client": v.client, "priority": "P2", "target_minutes": 60, "due_at": clock.now(),
                  "opened_at": v.incident.opened_at,
                  "breached_at": clock.now()},
    )  # fmt: skip
    return {"breach_id": breach.pk}


def _comms_policy(v: Any) -> dict[str, Any]:
    from watchkeeper.comms.models import CommunicationPolicy
    from watchkeeper.policy.selectors import priority_keys

    rules = {key: {"roles": ["technical"], "events": ["opened"]} for key in priority_keys()}
    policy, _ = CommunicationPolicy.objects.get_or_create(client=v.client, defaults={"rules": rules})
    return {"policy_id": policy.pk}


def _client_updated(v: Any) -> dict[str, Any]:
    """The victim's incident with an update e-mailed to its contact (who has a role its policy names)."""
    from watchkeeper.comms.models import ClientUpdate, ContactRoles, UpdateDelivery

    _comms_policy(v)
    ContactRoles.objects.get_or_create(contact=v.contact, defaults={"roles": ["technical"]})
    update, _ = ClientUpdate.objects.get_or_create(
        incident=v.incident, cause="planted", defaults={"kind": "update", "subject": "Update", "body": "x"}
    )
    UpdateDelivery.objects.get_or_create(
        update=update, address=v.contact.email,
        defaults={"client": v.client, "message_id": f"<planted-{v.incident.pk}@example>"},
    )  # fmt: skip
    return {"incident_id": v.incident.pk}


def _comms_template(v: Any) -> dict[str, Any]:
    from watchkeeper.comms.models import MessageTemplate

    template, _ = MessageTemplate.objects.get_or_create(
        client=v.client, kind="update", defaults={"subject": f"{v.client.name} update", "body": "{{ text }}"}
    )
    return {"template_id": template.pk}


def _sla_calendar(v: Any) -> dict[str, Any]:
    from watchkeeper.sla.models import BusinessCalendar

    calendar, _ = BusinessCalendar.objects.get_or_create(name="Office hours")
    return {"calendar_id": calendar.pk}


def _policy(v: Any) -> dict[str, Any]:
    """The victim client's own escalation policy, paging its technician (made on first use)."""
    from tests.paging.factories import client_policy

    return {"policy_id": client_policy(v).pk}


def _policy_level(v: Any) -> dict[str, Any]:
    """The only level of the victim's escalation policy."""
    from tests.paging.factories import client_policy

    policy = client_policy(v)
    return {"policy_id": policy.pk, "level_id": policy.levels.get().pk}


def _policy_target(v: Any) -> dict[str, Any]:
    """The victim's technician, as the target of its policy's level."""
    from tests.paging.factories import client_policy

    level = client_policy(v).levels.get()
    return {"policy_id": level.policy_id, "level_id": level.pk, "target_id": level.targets.get().pk}


def _policy_service(v: Any) -> dict[str, Any]:
    """The victim's service, paged with the victim's policy."""
    from tests.paging.factories import client_policy
    from watchkeeper.paging.models import ServiceEscalation

    policy = client_policy(v)
    ServiceEscalation.objects.get_or_create(service=v.service, defaults={"policy": policy})
    return {"policy_id": policy.pk, "service_id": v.service.pk}


def _method(v: Any) -> dict[str, Any]:
    from tests.paging.factories import technician_method

    return {"user_id": v.technician.pk, "method_id": technician_method(v).pk}


def _notification_rule(v: Any) -> dict[str, Any]:
    from tests.paging.factories import technician_rule

    return {"user_id": v.technician.pk, "rule_id": technician_rule(v).pk}


def _person(v: Any) -> dict[str, Any]:
    """The victim's technician, with a contact method, a rule and a page in their log."""
    from tests.paging.factories import technician_log, technician_rule

    technician_rule(v)
    technician_log(v)
    return {"user_id": v.technician.pk}


def _review(v: Any) -> dict[str, Any]:
    """A review of the victim's incident with a published client summary (made on first use)."""
    from watchkeeper.core import clock
    from watchkeeper.reviews.models import Review

    review, _ = Review.objects.get_or_create(
        incident=v.incident,
        defaults={"client": v.client, "due_at": clock.now(), "reasons": ["P1"], "summary_state": "published",
                  "client_summary": "Published summary", "summary_published_at": clock.now()},
    )  # fmt: skip
    return {"review_id": review.pk}


def _action_item(v: Any) -> dict[str, Any]:
    import datetime as dt

    from watchkeeper.reviews.models import ActionItem, Review

    review = Review.objects.get(pk=_review(v)["review_id"])
    item, _ = ActionItem.objects.get_or_create(
        review=review, title="Victim's action",
        defaults={"client": v.client, "kind": "detect", "owner": v.technician, "due_on": dt.date(2027, 1, 8)},
    )  # fmt: skip
    return {"item_id": item.pk}


def _reviews_planted(v: Any) -> dict[str, Any]:
    """Lists: the victim has a review (published summary) and an action item that must not show."""
    _action_item(v)


def _article(v: Any) -> dict[str, Any]:
    """The victim's own article, client-visible (so its client admin reads it in the portal)."""
    from watchkeeper.knowledge.models import Article

    article = Article.objects.filter(client=v.client).first()
    if article is None:
        from watchkeeper.knowledge.services import article_create

        article = article_create(
            actor="test", client=v.client, title=f"{v.client.name} firewall reset",
            body=f"Only for {v.client.name}.", client_visible=True,
        )  # fmt: skip
    return {"article_id": article.pk}


def _runbook(v: Any) -> dict[str, Any]:
    """The victim's runbook, linked to its service (so it is suggested on its incident)."""
    from watchkeeper.knowledge.models import Runbook

    runbook = Runbook.objects.filter(client=v.client).first()
    if runbook is None:
        from watchkeeper.knowledge.runbooks import runbook_create

        runbook = runbook_create(
            actor="test", client=v.client, title=f"{v.client.name} disk runbook",
            steps=[{"kind": "check", "text": "Check the disk"}], service_ids=[v.service.pk],
        )  # fmt: skip
    return {"runbook_id": runbook.pk}


def _runbook_run(v: Any) -> dict[str, Any]:
    """The victim's runbook, started on its incident."""
    from watchkeeper.knowledge.models import Runbook
    from watchkeeper.knowledge.runbooks import runbook_start

    runbook = Runbook.objects.get(pk=_runbook(v)["runbook_id"])
    return {"run_id": runbook_start(actor="test", incident=v.incident, runbook=runbook).pk}


def _incident_with_run(v: Any) -> dict[str, Any]:
    _runbook_run(v)
    return _incident(v)


def _incident_with_runbook(v: Any) -> dict[str, Any]:
    _runbook(v)
    return _incident(v)


def _planted_article(v: Any) -> dict[str, Any]:
    _article(v)
    _runbook(v)
    return {}


# HTML URL names (namespace:name). Django admin URLs are covered by test_admin_isolation.
URLS: dict[str, Spec] = {
    # The knowledge base and runbooks (ADR 0042): MSP-only pages, and the portal's articles.
    "knowledge:list": Spec(LIST, _planted_article),
    "knowledge:new": Spec(WRITE, body=lambda v: {"client": v.client.slug, "title": "Planted"}, method="POST"),
    "knowledge:detail": Spec(DETAIL, _article, viewer="technician"),
    "knowledge:edit": Spec(DETAIL, _article, viewer="technician"),
    "knowledge:history": Spec(DETAIL, _article, viewer="technician"),
    "knowledge:restore": Spec(PAGE, lambda v: {**_article(v), "number": 1}, method="POST"),
    "knowledge:runbooks": Spec(LIST, _planted_article),
    "knowledge:runbook": Spec(DETAIL, _runbook, viewer="technician"),
    "knowledge:runbook_edit": Spec(DETAIL, _runbook, viewer="technician"),
    "knowledge:runbook_new": Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "title": "Planted", "steps": "x"}, method="POST"
    ),
    "knowledge:runbook_start": Spec(
        PAGE, _incident_with_runbook, body=lambda v: {"runbook": _runbook(v)["runbook_id"]}, method="POST"
    ),
    "knowledge:runbook_from_incident": Spec(PAGE, _incident, method="POST"),
    "knowledge:runbook_tick": Spec(PAGE, _runbook_run, body=lambda v: {"step": 0}, method="POST"),
    "portal_kb:list": Spec(LIST, _planted_article),
    "portal_kb:detail": Spec(DETAIL, _article),
    "web:home": Spec(PAGE),
    "tenancy:clients": Spec(LIST),
    "web:healthz": Spec(PUBLIC),
    "web:readyz": Spec(PUBLIC),
    "web:metrics": Spec(PUBLIC),
    "tenancy:client": Spec(DETAIL, _client_slug, viewer="technician"),
    "tenancy:portal": Spec(PAGE),
    "tenancy:service": Spec(
        DETAIL, lambda v: {"slug": v.client.slug, "service_id": v.service.pk}, viewer="technician"
    ),
    "accounts:login": Spec(PUBLIC),
    "accounts:two_factor_verify": Spec(PUBLIC),
    "accounts:logout": Spec(PAGE, method="POST"),
    "accounts:account": Spec(PAGE),
    "accounts:profile": Spec(PAGE, body=lambda v: {"full_name": "Renamed", "timezone": "UTC"}, method="POST"),
    # A portal user's token narrowed to the other client: 400, nothing created.
    "accounts:token_create": Spec(
        PAGE, body=lambda v: {"name": "t", "scopes": ["read"], "client": v.client.slug}, method="POST"
    ),
    "accounts:token_revoke": Spec(PAGE, lambda v: {"token_id": 999_999}, method="POST"),
    "accounts:two_factor_setup": Spec(PAGE),
    "accounts:password_change": Spec(PAGE),
    "accounts:password_change_done": Spec(PAGE),
    "accounts:password_reset": Spec(PUBLIC),
    "accounts:password_reset_done": Spec(PUBLIC),
    "accounts:password_reset_confirm": Spec(PUBLIC, lambda v: {"uidb64": "MQ", "token": "set-password"}),
    "accounts:password_reset_complete": Spec(PUBLIC),
    "audit:list": Spec(LIST),
    "policy:page": Spec(PAGE),
    "policy:export": Spec(PAGE),
    "policy:import": Spec(PAGE, method="POST"),
    "ingest:pagerduty": Spec(PUBLIC, method="POST"),
    "ingest:pagerduty_change": Spec(PUBLIC, method="POST"),
    # Keyed ingest endpoints, addressed with a key nobody has (a real key would record an event).
    "ingest:alertmanager": Spec(PUBLIC, lambda v: {"key": "x" * 32}, method="POST"),
    "ingest:webhook": Spec(PUBLIC, lambda v: {"key": "x" * 32}, method="POST"),
    "ingest:heartbeat": Spec(PUBLIC, lambda v: {"key": "x" * 32}, method="POST"),
    "ingest:opsgenie": Spec(PUBLIC, method="POST"),
    "ingest:opsgenie_acknowledge": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="POST"),
    "ingest:opsgenie_close": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="POST"),
    "ingest:opsgenie_request": Spec(PUBLIC, lambda v: {"request_id": "0" * 36}),
    "ingest:opsgenie_count": Spec(PUBLIC),
    "ingest:opsgenie_alert": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}),
    "ingest:opsgenie_notes": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}),
    "ingest:opsgenie_tags": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="POST"),
    "ingest:opsgenie_details": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="POST"),
    "ingest:opsgenie_priority": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="PUT"),
    "ingest:opsgenie_assign": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="POST"),
    "ingest:opsgenie_escalate": Spec(PUBLIC, lambda v: {"identifier": str(v.alert.pk)}, method="POST"),
    "ingest:opsgenie_unsupported": Spec(
        PUBLIC, lambda v: {"rest": str(v.alert.pk), "operation": "snooze"}, method="POST"
    ),
    "ingest:opsgenie_saved_searches": Spec(PUBLIC),
    "ingest:opsgenie_unknown": Spec(PUBLIC, lambda v: {"rest": "users"}),
    # Console pages of alert intake and incidents (MSP-only: the DETAIL control is the technician).
    "alerts:integrations": Spec(LIST),
    "alerts:integration_new": Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "type": "pagerduty", "name": "Planted"}, method="POST"
    ),
    "alerts:integration": Spec(DETAIL, _integration, viewer="technician"),
    "alerts:integration_rotate": Spec(PAGE, _integration, method="POST"),
    "alerts:integration_enabled": Spec(PAGE, _integration, body=lambda v: {"enabled": "0"}, method="POST"),
    "alerts:integration_preview": Spec(PAGE, _integration, body=lambda v: {"payload": "{}"}, method="POST"),
    "alerts:list": Spec(LIST),
    "alerts:rules": Spec(DETAIL, _client_slug, viewer="technician"),
    "alerts:rules_try": Spec(PAGE, _client_slug, body=lambda v: {"sample": "{}"}, method="POST"),
    "alerts:window_new": Spec(PAGE, _client_slug, body=lambda v: _window_body(v.client.slug), method="POST"),
    "alerts:rule": Spec(DETAIL, _rule, viewer="technician"),
    "alerts:rule_move": Spec(PAGE, _rule, body=lambda v: {"direction": "down"}, method="POST"),
    "alerts:rule_delete": Spec(PAGE, _rule, method="POST"),
    "alerts:window_delete": Spec(PAGE, _window, method="POST"),
    "alerts:detail": Spec(DETAIL, lambda v: {"alert_id": v.alert.pk}, viewer="technician"),
    "incidents:list": Spec(LIST),
    "incidents:new": Spec(
        WRITE,
        body=lambda v: {
            "client": v.client.slug,
            "service": v.service.pk,
            "title": "Planted",
            "impact": "high",
            "urgency": "high",
        },
        method="POST",
    ),
    "incidents:detail": Spec(DETAIL, _incident, viewer="technician"),
    "incidents:acknowledge": Spec(PAGE, _incident, method="POST"),
    "incidents:resolve": Spec(
        PAGE, _incident, body=lambda v: {"note": "Closed by a stranger"}, method="POST"
    ),
    "incidents:reopen": Spec(PAGE, _incident, method="POST"),
    "incidents:close": Spec(PAGE, _incident, method="POST"),
    "incidents:note": Spec(PAGE, _incident, body=lambda v: {"text": "Planted note"}, method="POST"),
    "incidents:priority": Spec(
        PAGE, _incident, body=lambda v: {"impact": "low", "urgency": "low"}, method="POST"
    ),
    "incidents:assign": Spec(PAGE, _incident, body=lambda v: {"owner": "me"}, method="POST"),
    # On-call: schedule pages are MSP data; a schedule dedicated to A is a 404 for B's people.
    "oncall:list": Spec(LIST, _planted),
    "oncall:board": Spec(LIST, _planted),
    "oncall:new": Spec(
        WRITE, body=lambda v: {"name": "Planted", "time_zone": "UTC", "client": v.client.slug}, method="POST"
    ),
    "oncall:my_calendar": Spec(PAGE, method="POST"),
    "oncall:feed": Spec(PUBLIC, lambda v: {"token": "x" * 32}),
    "oncall:detail": Spec(DETAIL, _schedule, viewer="technician"),
    "oncall:edit": Spec(
        PAGE, _schedule, body=lambda v: {"name": "Taken over", "time_zone": "UTC"}, method="POST"
    ),
    "oncall:layer_new": Spec(PAGE, _schedule),
    "oncall:layer_edit": Spec(PAGE, _layer),
    "oncall:layer_delete": Spec(PAGE, _layer, method="POST"),
    "oncall:override_new": Spec(
        PAGE,
        _schedule,
        method="POST",
        body=lambda v: {
            "user": v.technician.pk,
            "starts_at": "2031-01-01T00:00",
            "ends_at": "2031-01-02T00:00",
        },
    ),
    "oncall:override_delete": Spec(PAGE, _override, method="POST"),
    "oncall:calendar": Spec(PAGE, _schedule, method="POST"),
    "incidents:bulk": Spec(
        PAGE, body=lambda v: {"incident": [v.incident.pk], "action": "acknowledge"}, method="POST"
    ),
    "incidents:hand_off": Spec(
        PAGE, _incident, body=lambda v: {"owner": v.technician.pk, "note": "Planted"}, method="POST"
    ),
    "incidents:category": Spec(PAGE, _incident, body=lambda v: {"category": ""}, method="POST"),
    "incidents:responder_add": Spec(
        PAGE, _incident, body=lambda v: {"user": v.technician.pk, "role": "commander"}, method="POST"
    ),
    "incidents:responder_remove": Spec(
        PAGE, _incident, body=lambda v: {"user": v.technician.pk}, method="POST"
    ),
    "incidents:merge": Spec(PAGE, _incident, body=lambda v: {"into": v.incident.pk}, method="POST"),
    # The client portal's incident pages: the DETAIL control is the victim's own client user.
    "portal:incidents": Spec(LIST),
    "portal:new": Spec(
        WRITE,
        body=lambda v: {
            "kind": "problem",
            "service": v.service.pk,
            "title": "Planted",
            "people": "many",
            "working": "stopped",
        },
        method="POST",
    ),
    "portal:incident": Spec(DETAIL, _incident, viewer="client_user"),
    "portal:comment": Spec(PAGE, _incident, body=lambda v: {"text": "Planted comment"}, method="POST"),
    "incidents:wait": Spec(PAGE, _incident, body=lambda v: {"status": "waiting_client"}, method="POST"),
    "incidents:resume": Spec(PAGE, _incident, method="POST"),
    # SLA console (sla branch): configuration is MSP-wide; reports belong to one client.
    "sla:page": Spec(PAGE),
    "sla:policy_new": Spec(PAGE, body=lambda v: {"name": "Planted", "tier": "premium"}, method="POST"),
    "sla:policy_targets": Spec(PAGE, _sla_policy, body=lambda v: {"thresholds": "10"}, method="POST"),
    "sla:calendar_new": Spec(PAGE, body=lambda v: {"name": "Planted"}, method="POST"),
    "sla:calendar_save": Spec(PAGE, _sla_calendar, body=lambda v: {"name": "Taken"}, method="POST"),
    "sla:calendar_closures": Spec(PAGE, _sla_calendar, body=lambda v: {"days": "2026-12-24"}, method="POST"),
    "sla:reports": Spec(LIST),
    "sla:report": Spec(DETAIL, _client_slug, viewer="technician"),
    "sla:report_csv": Spec(PAGE, _client_slug),
    "sla:report_pdf": Spec(PAGE, _client_slug),
    "sla:breach_reason": Spec(PAGE, _sla_breach, body=lambda v: {"reason": "Planted"}, method="POST"),
    # Client communication (comms branch): the MSP's default is shared; a client's policy and
    # templates are that client's; composing addresses the victim's incident (404).
    "comms:page": Spec(PAGE),
    "comms:policy_new": Spec(WRITE, body=lambda v: {"client": v.client.slug}, method="POST"),
    "comms:policy_save": Spec(
        PAGE, _comms_policy, body=lambda v: {"P1_roles": "billing", "P1_cadence": "5"}, method="POST"
    ),
    "comms:template": Spec(PAGE, lambda v: {"kind": "update"}),
    "comms:compose": Spec(DETAIL, _incident, viewer="technician"),
    "comms:leadership": Spec(LIST),
    "comms:contact_roles": Spec(
        PAGE, lambda v: {"contact_id": v.contact.pk}, body=lambda v: {"roles": "billing"}, method="POST"
    ),
    # Paging console: policies are MSP data (the DETAIL control is the technician); one's own
    # contact methods and rules are addressed by id and answer 404 for anyone else's.
    "paging:policies": Spec(LIST),
    "paging:policy": Spec(DETAIL, _policy, viewer="technician"),
    # The policy editor: every form addresses the victim's policy (404), or names its client (400).
    "paging:policy_new": Spec(
        WRITE, body=lambda v: {"name": "Planted", "client": v.client.slug, "repeat": "0"}, method="POST"
    ),
    "paging:policy_settings": Spec(
        PAGE, _policy, body=lambda v: {"name": "Taken over", "repeat": "0"}, method="POST"
    ),
    "paging:policy_default": Spec(PAGE, _policy, body=lambda v: {"is_default": "0"}, method="POST"),
    "paging:policy_delete": Spec(PAGE, _policy, method="POST"),
    "paging:level_add": Spec(
        PAGE,
        _policy,
        body=lambda v: {"target": f"user:{v.technician.pk}", "delay_minutes": "0"},
        method="POST",
    ),
    "paging:level_delay": Spec(PAGE, _policy_level, body=lambda v: {"delay_minutes": "0"}, method="POST"),
    "paging:level_move": Spec(PAGE, _policy_level, body=lambda v: {"direction": "down"}, method="POST"),
    "paging:level_remove": Spec(PAGE, _policy_level, method="POST"),
    "paging:target_add": Spec(
        PAGE, _policy_level, body=lambda v: {"target": f"user:{v.technician.pk}"}, method="POST"
    ),
    "paging:target_remove": Spec(PAGE, _policy_target, method="POST"),
    "paging:service_add": Spec(PAGE, _policy, body=lambda v: {"service": str(v.service.pk)}, method="POST"),
    "paging:service_remove": Spec(PAGE, _policy_service, method="POST"),
    "paging:log": Spec(PAGE),
    "paging:contact_method_add": Spec(
        PAGE, body=lambda v: {"kind": "email", "address": "planted@evil.example"}, method="POST"
    ),
    "paging:contact_method_delete": Spec(
        PAGE, lambda v: {"method_id": _method(v)["method_id"]}, method="POST"
    ),
    "paging:contact_method_test": Spec(PAGE, lambda v: {"method_id": _method(v)["method_id"]}, method="POST"),
    "paging:rule_add": Spec(
        PAGE, body=lambda v: {"contact_method": _method(v)["method_id"], "delay_minutes": "0"}, method="POST"
    ),
    "paging:rule_delete": Spec(PAGE, lambda v: {"rule_id": _notification_rule(v)["rule_id"]}, method="POST"),
    "paging:escalate": Spec(PAGE, _incident, body=lambda v: {"level": "1"}, method="POST"),
    "paging:reassign": Spec(PAGE, _incident, body=lambda v: {"user": str(v.technician.pk)}, method="POST"),
    "paging:respond": Spec(PUBLIC, lambda v: {"token": "not-a-token"}),
    # Outgoing mail: installation-wide, owners and admins only; nobody else reads or writes it.
    "mail:settings": Spec(
        PAGE,
        body=lambda v: {"host": "smtp.evil.example", "port": "25", "from_address": "x@evil.example"},
        method="POST",
    ),
    "mail:test": Spec(PAGE, method="POST"),
    # Branding: installation-wide, owners and admins only (tests/branding checks nothing else
    # changes it); the logo's URL is public (the sign-in page shows it) and names no tenant.
    "branding:settings": Spec(PAGE, body=lambda v: {"name": f"Not {v.client.name}"}, method="POST"),
    "branding:logo_upload": Spec(PAGE, method="POST"),
    "branding:logo_remove": Spec(PAGE, method="POST"),
    "branding:logo": Spec(PUBLIC, lambda v: {"file_name": "0123456789abcdef.png"}),
    # Reviews (reviews branch): MSP work per client; the portal shows published summaries only.
    "reviews:list": Spec(LIST, _reviews_planted),
    "reviews:actions": Spec(LIST, _reviews_planted),
    "reviews:detail": Spec(DETAIL, _review, viewer="technician"),
    "reviews:save": Spec(PAGE, _review, body=lambda v: {"summary": "Planted"}, method="POST"),
    "reviews:complete": Spec(PAGE, _review, method="POST"),
    "reviews:mark": Spec(PAGE, _review, body=lambda v: {"entry": "1", "starred": "1"}, method="POST"),
    "reviews:action_add": Spec(
        PAGE,
        _review,
        body=lambda v: {"title": "Planted", "kind": "detect", "due_on": "2027-01-01"},
        method="POST",
    ),
    "reviews:summary": Spec(PAGE, _review, body=lambda v: {"client_summary": "Planted"}, method="POST"),
    "reviews:export": Spec(PAGE, lambda v: {**_review(v), "fmt": "md"}),
    "reviews:action_status": Spec(PAGE, _action_item, body=lambda v: {"status": "done"}, method="POST"),
    "reviews:open": Spec(PAGE, _incident, method="POST"),
    "reviews:metrics": Spec(LIST),
    "reviews:portal_list": Spec(LIST, _reviews_planted),
    "reviews:portal_summary": Spec(DETAIL, _review, viewer="client_user"),
    # Monitoring (monitoring branch): MSP data per client; the DETAIL control is the technician.
    "monitoring:list": Spec(LIST),
    "monitoring:new": Spec(
        WRITE,
        body=lambda v: {
            "client": v.client.slug,
            "name": "Planted",
            "kind": "tcp",
            "target": "10.0.0.1:22",
            "service": str(v.service.pk),
            "interval_seconds": "60",
            "timeout_seconds": "5",
            "retries": "1",
            "recovery_threshold": "1",
        },
        method="POST",
    ),
    "monitoring:detail": Spec(DETAIL, _monitor, viewer="technician"),
    "monitoring:edit": Spec(PAGE, _monitor, body=lambda v: {"name": "Taken over"}, method="POST"),
    "monitoring:test": Spec(PAGE, _monitor, method="POST"),
    "monitoring:toggle": Spec(PAGE, _monitor, method="POST"),
    "monitoring:delete": Spec(PAGE, _monitor, method="POST"),
    "monitoring:networks": Spec(PAGE, _client_slug, body=lambda v: {"networks": "0.0.0.0/1"}, method="POST"),
    "api:api-root": Spec(PUBLIC),
    "api-not-found": Spec(PUBLIC, lambda v: {"rest": f"clients/{v.client.slug}/secrets"}),
    "api:openapi-json": Spec(PUBLIC),
    "api:openapi-view": Spec(PUBLIC),
}

# API operations as (METHOD, path template from the OpenAPI document).
API: dict[tuple[str, str], Spec] = {
    ("GET", "/api/v1/monitors"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/monitors"): Spec(
        WRITE,
        body=lambda v: {
            "client": v.client.slug,
            "service_id": v.service.pk,
            "name": "Planted",
            "kind": "tcp",
            "target": "10.0.0.1:22",
        },
    ),
    ("POST", "/api/v1/monitors/import"): Spec(
        WRITE,
        body=lambda v: {
            "client": v.client.slug,
            "format": "yaml",
            "text": f"- {{name: Planted, kind: tcp, target: '10.0.0.1:22', service: {v.service.name}}}",
        },
    ),
    ("GET", "/api/v1/monitors/{monitor_id}"): Spec(DETAIL, _monitor, viewer="technician"),
    ("PATCH", "/api/v1/monitors/{monitor_id}"): Spec(WRITE, _monitor, body=lambda v: {"name": "Taken over"}),
    ("DELETE", "/api/v1/monitors/{monitor_id}"): Spec(WRITE, _monitor),
    ("POST", "/api/v1/monitors/{monitor_id}/test"): Spec(WRITE, _monitor),
    ("GET", "/api/v1/monitors/{monitor_id}/results"): Spec(DETAIL, _monitor, viewer="technician"),
    ("GET", "/api/v1/monitors/{monitor_id}/history"): Spec(DETAIL, _monitor, viewer="technician"),
    ("GET", "/api/v1/monitoring-networks/{slug}"): Spec(DETAIL, _client_slug, viewer="technician"),
    ("PUT", "/api/v1/monitoring-networks/{slug}"): Spec(
        WRITE, _client_slug, body=lambda v: {"allowed_networks": ["0.0.0.0/1"]}
    ),
    # The knowledge base and runbooks (ADR 0042).
    ("GET", "/api/v1/articles"): Spec(LIST, _planted_article, client_filter=True),
    ("POST", "/api/v1/articles"): Spec(WRITE, body=lambda v: {"client": v.client.slug, "title": "Planted"}),
    ("GET", "/api/v1/articles/{article_id}"): Spec(DETAIL, _article, viewer="technician"),
    ("PATCH", "/api/v1/articles/{article_id}"): Spec(WRITE, _article, body=lambda v: {"title": "Taken over"}),
    ("DELETE", "/api/v1/articles/{article_id}"): Spec(WRITE, _article),
    ("GET", "/api/v1/articles/{article_id}/versions"): Spec(DETAIL, _article, viewer="technician"),
    ("POST", "/api/v1/articles/{article_id}/restore"): Spec(WRITE, _article, body=lambda v: {"version": 1}),
    ("GET", "/api/v1/runbooks"): Spec(LIST, _planted_article, client_filter=True),
    ("POST", "/api/v1/runbooks"): Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "title": "Planted", "steps": [{"text": "x"}]}
    ),
    ("GET", "/api/v1/runbooks/{runbook_id}"): Spec(DETAIL, _runbook, viewer="technician"),
    ("PATCH", "/api/v1/runbooks/{runbook_id}"): Spec(WRITE, _runbook, body=lambda v: {"title": "Taken over"}),
    ("GET", "/api/v1/incidents/{incident_id}/runbooks"): Spec(
        DETAIL, _incident_with_runbook, viewer="technician"
    ),
    ("GET", "/api/v1/incidents/{incident_id}/runbook-runs"): Spec(
        DETAIL, _incident_with_run, viewer="technician"
    ),
    ("POST", "/api/v1/incidents/{incident_id}/runbook-runs"): Spec(
        WRITE, _incident_with_runbook, body=lambda v: {"runbook_id": _runbook(v)["runbook_id"]}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/save-as-runbook"): Spec(WRITE, _incident),
    ("POST", "/api/v1/runbook-runs/{run_id}/tick"): Spec(WRITE, _runbook_run, body=lambda v: {"step": 0}),
    ("GET", "/api/v1/clients"): Spec(LIST),
    ("POST", "/api/v1/clients"): Spec(WRITE, body=lambda v: {"name": v.client.name, "slug": v.client.slug}),
    ("GET", "/api/v1/clients/{slug}"): Spec(DETAIL, _client_slug),
    ("PATCH", "/api/v1/clients/{slug}"): Spec(WRITE, _client_slug, body=lambda v: {"name": "Taken over"}),
    ("GET", "/api/v1/sites"): Spec(LIST, client_filter=True),
    ("GET", "/api/v1/sites/{site_id}"): Spec(DETAIL, lambda v: {"site_id": v.site.pk}),
    ("GET", "/api/v1/services"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/services"): Spec(WRITE, body=lambda v: {"client": v.client.slug, "name": "Planted"}),
    ("GET", "/api/v1/services/{service_id}"): Spec(DETAIL, lambda v: {"service_id": v.service.pk}),
    ("PATCH", "/api/v1/services/{service_id}"): Spec(
        WRITE, lambda v: {"service_id": v.service.pk}, body=lambda v: {"name": "Renamed"}
    ),
    ("GET", "/api/v1/contacts"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/contacts"): Spec(WRITE, body=lambda v: {"client": v.client.slug, "name": "Planted"}),
    ("GET", "/api/v1/contacts/{contact_id}"): Spec(DETAIL, lambda v: {"contact_id": v.contact.pk}),
    ("PATCH", "/api/v1/contacts/{contact_id}"): Spec(
        WRITE, lambda v: {"contact_id": v.contact.pk}, body=lambda v: {"email": "attacker@evil.example"}
    ),
    ("GET", "/api/v1/users"): Spec(LIST),
    ("GET", "/api/v1/users/me"): Spec(PAGE),
    ("GET", "/api/v1/users/{user_id}"): Spec(DETAIL, lambda v: {"user_id": v.client_user.pk}),
    ("GET", "/api/v1/teams"): Spec(LIST),
    ("GET", "/api/v1/teams/{slug}"): Spec(PAGE, lambda v: {"slug": "no-such-team"}),
    ("GET", "/api/v1/policy"): Spec(PAGE),
    ("GET", "/api/v1/settings/branding"): Spec(PAGE),
    ("PUT", "/api/v1/settings/branding"): Spec(WRITE, body=lambda v: {"name": f"Not {v.client.name}"}),
    ("POST", "/api/v1/settings/branding/logo"): Spec(WRITE),
    ("DELETE", "/api/v1/settings/branding/logo"): Spec(WRITE),
    ("GET", "/api/v1/policy/priority"): Spec(PAGE, query={"impact": "high", "urgency": "low"}),
    # Alert intake: MSP-only, so the DETAIL control is the victim's technician.
    ("GET", "/api/v1/integrations"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/integrations"): Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "type": "pagerduty", "name": "Planted"}
    ),
    ("GET", "/api/v1/integrations/{integration_id}"): Spec(DETAIL, _integration, viewer="technician"),
    ("PATCH", "/api/v1/integrations/{integration_id}"): Spec(
        WRITE, _integration, body=lambda v: {"name": "Taken over", "is_enabled": False}
    ),
    ("POST", "/api/v1/integrations/{integration_id}/rotate-key"): Spec(WRITE, _integration),
    ("GET", "/api/v1/event-rules"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/event-rules"): Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "name": "Planted", "actions": {"suppress": True}}
    ),
    ("POST", "/api/v1/event-rules/order"): Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "rule_ids": []}
    ),
    ("POST", "/api/v1/event-rules/try"): Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "event": {"summary": "Probe"}}
    ),
    ("GET", "/api/v1/event-rules/{rule_id}"): Spec(DETAIL, _rule, viewer="technician"),
    ("PATCH", "/api/v1/event-rules/{rule_id}"): Spec(WRITE, _rule, body=lambda v: {"name": "Taken over"}),
    ("DELETE", "/api/v1/event-rules/{rule_id}"): Spec(WRITE, _rule),
    ("GET", "/api/v1/maintenance-windows"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/maintenance-windows"): Spec(WRITE, body=lambda v: _window_body(v.client.slug)),
    ("GET", "/api/v1/maintenance-windows/{window_id}"): Spec(DETAIL, _window, viewer="technician"),
    ("PATCH", "/api/v1/maintenance-windows/{window_id}"): Spec(
        WRITE, _window, body=lambda v: {"name": "Taken over"}
    ),
    ("DELETE", "/api/v1/maintenance-windows/{window_id}"): Spec(WRITE, _window),
    ("GET", "/api/v1/alerts"): Spec(LIST, client_filter=True),
    ("GET", "/api/v1/alerts/{alert_id}"): Spec(
        DETAIL, lambda v: {"alert_id": v.alert.pk}, viewer="technician"
    ),
    ("GET", "/api/v1/incidents"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/incidents"): Spec(
        WRITE,
        body=lambda v: {
            "client": v.client.slug,
            "service_id": v.service.pk,
            "title": "Planted",
            "impact": "high",
            "urgency": "high",
        },
    ),
    ("GET", "/api/v1/incidents/{incident_id}"): Spec(DETAIL, _incident, viewer="technician"),
    ("POST", "/api/v1/incidents/{incident_id}/acknowledge"): Spec(WRITE, _incident),
    ("POST", "/api/v1/incidents/{incident_id}/resolve"): Spec(
        WRITE, _incident, body=lambda v: {"note": "Closed by a stranger"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/reopen"): Spec(WRITE, _incident),
    ("POST", "/api/v1/incidents/{incident_id}/close"): Spec(WRITE, _incident),
    ("POST", "/api/v1/incidents/{incident_id}/notes"): Spec(
        WRITE, _incident, body=lambda v: {"text": "Planted note"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/priority"): Spec(
        WRITE, _incident, body=lambda v: {"impact": "low", "urgency": "low"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/assign"): Spec(
        WRITE, _incident, body=lambda v: {"owner": v.technician.pk}
    ),
    # On-call schedules: MSP data; a schedule dedicated to A is invisible to B's people.
    ("GET", "/api/v1/schedules"): Spec(LIST, _planted, client_filter=True),
    ("POST", "/api/v1/schedules"): Spec(WRITE, body=lambda v: {"name": "Planted", "client": v.client.slug}),
    ("GET", "/api/v1/schedules/{schedule_id}"): Spec(DETAIL, _schedule, viewer="technician"),
    ("PATCH", "/api/v1/schedules/{schedule_id}"): Spec(
        WRITE, _schedule, body=lambda v: {"name": "Taken over"}
    ),
    ("POST", "/api/v1/schedules/{schedule_id}/overrides"): Spec(
        WRITE,
        _schedule,
        body=lambda v: {
            "user_id": v.technician.pk,
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2026-01-02T00:00:00Z",
        },
    ),
    ("DELETE", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): Spec(WRITE, _override),
    ("GET", "/api/v1/schedules/{schedule_id}/oncall"): Spec(DETAIL, _schedule, viewer="technician"),
    ("GET", "/api/v1/schedules/{schedule_id}/shifts"): Spec(DETAIL, _schedule, viewer="technician"),
    ("GET", "/api/v1/oncall"): Spec(LIST, _planted),
    ("POST", "/api/v1/incidents/{incident_id}/hand-off"): Spec(
        WRITE, _incident, body=lambda v: {"owner": v.technician.pk, "note": "Planted"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/category"): Spec(
        WRITE, _incident, body=lambda v: {"category": ""}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/responders"): Spec(
        WRITE, _incident, body=lambda v: {"user": v.technician.pk, "role": "commander"}
    ),
    ("DELETE", "/api/v1/incidents/{incident_id}/responders/{user_id}"): Spec(
        WRITE, lambda v: {"incident_id": v.incident.pk, "user_id": v.technician.pk}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/merge"): Spec(
        WRITE, _incident, body=lambda v: {"into": v.incident.pk}
    ),
    # Bulk actions report A's incidents as not found and change nothing: a 200 with refusals.
    ("POST", "/api/v1/incidents/bulk"): Spec(
        PAGE, body=lambda v: {"incidents": [v.incident.pk], "action": "acknowledge"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/wait"): Spec(
        WRITE, _incident, body=lambda v: {"status": "waiting_vendor"}
    ),
    ("POST", "/api/v1/incidents/{incident_id}/resume"): Spec(WRITE, _incident),
    # SLA (sla branch). Calendars and tier policies are MSP-wide configuration; client overrides,
    # clocks, breaches and reports belong to one client.
    ("GET", "/api/v1/calendars"): Spec(LIST),
    ("POST", "/api/v1/calendars"): Spec(WRITE, body=lambda v: {"name": "Planted"}),
    ("GET", "/api/v1/calendars/{calendar_id}"): Spec(PAGE, _sla_calendar),
    ("PATCH", "/api/v1/calendars/{calendar_id}"): Spec(
        WRITE, _sla_calendar, body=lambda v: {"name": "Taken"}
    ),
    ("POST", "/api/v1/calendars/{calendar_id}/closures"): Spec(
        WRITE, _sla_calendar, body=lambda v: {"days": ["2026-12-24"]}
    ),
    ("POST", "/api/v1/calendars/{calendar_id}/ical"): Spec(
        WRITE, _sla_calendar, body=lambda v: {"ical": "x"}
    ),
    ("POST", "/api/v1/calendars/{calendar_id}/clients"): Spec(
        WRITE, _sla_calendar, body=lambda v: {"client": v.client.slug}
    ),
    ("GET", "/api/v1/sla-policies"): Spec(LIST),
    ("POST", "/api/v1/sla-policies"): Spec(
        WRITE, body=lambda v: {"name": "Planted", "client": v.client.slug}
    ),
    ("GET", "/api/v1/sla-policies/{policy_id}"): Spec(DETAIL, _sla_policy, viewer="technician"),
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): Spec(WRITE, _sla_policy, body=lambda v: {"name": "Taken"}),
    ("GET", "/api/v1/incidents/{incident_id}/sla"): Spec(PAGE, _incident),
    ("GET", "/api/v1/sla-breaches"): Spec(LIST, client_filter=True),
    ("PATCH", "/api/v1/sla-breaches/{breach_id}"): Spec(
        WRITE, _sla_breach, body=lambda v: {"reason": "Planted"}
    ),
    ("GET", "/api/v1/reports/sla"): Spec(
        LIST, client_filter=True, query={"client": "alpha-dental", "month": "2026-11"}
    ),
    # Paging
    ("GET", "/api/v1/escalation-policies"): Spec(LIST),
    ("POST", "/api/v1/escalation-policies"): Spec(
        WRITE,
        body=lambda v: {
            "name": "Planted",
            "client": v.client.slug,
            "levels": [{"targets": [{"kind": "user", "id": v.technician.pk}]}],
        },
    ),
    ("GET", "/api/v1/escalation-policies/{policy_id}"): Spec(DETAIL, _policy, viewer="technician"),
    ("PUT", "/api/v1/escalation-policies/{policy_id}"): Spec(
        WRITE,
        _policy,
        body=lambda v: {"name": "Taken over", "levels": [{"targets": [{"kind": "user", "id": 1}]}]},
    ),
    ("DELETE", "/api/v1/escalation-policies/{policy_id}"): Spec(WRITE, _policy),
    ("GET", "/api/v1/services/{service_id}/escalation-policy"): Spec(
        DETAIL, lambda v: {"service_id": v.service.pk}, viewer="technician"
    ),
    ("PUT", "/api/v1/services/{service_id}/escalation-policy"): Spec(
        WRITE, lambda v: {"service_id": v.service.pk}, body=lambda v: {"policy": None}
    ),
    ("GET", "/api/v1/users/{user_id}/contact-methods"): Spec(DETAIL, _person, viewer="technician"),
    ("POST", "/api/v1/users/{user_id}/contact-methods"): Spec(
        WRITE, _person, body=lambda v: {"kind": "email", "address": "planted@evil.example"}
    ),
    ("DELETE", "/api/v1/users/{user_id}/contact-methods/{method_id}"): Spec(WRITE, _method),
    ("POST", "/api/v1/users/{user_id}/contact-methods/{method_id}/test"): Spec(WRITE, _method),
    ("GET", "/api/v1/users/{user_id}/notification-rules"): Spec(DETAIL, _person, viewer="technician"),
    ("POST", "/api/v1/users/{user_id}/notification-rules"): Spec(
        WRITE, _person, body=lambda v: {"contact_method": _method(v)["method_id"]}
    ),
    ("DELETE", "/api/v1/users/{user_id}/notification-rules/{rule_id}"): Spec(WRITE, _notification_rule),
    ("GET", "/api/v1/users/{user_id}/notifications"): Spec(DETAIL, _person, viewer="technician"),
    ("GET", "/api/v1/incidents/{incident_id}/escalation"): Spec(DETAIL, _incident, viewer="technician"),
    ("POST", "/api/v1/incidents/{incident_id}/escalate"): Spec(WRITE, _incident, body=lambda v: {"level": 1}),
    ("POST", "/api/v1/incidents/{incident_id}/reassign"): Spec(
        WRITE, _incident, body=lambda v: {"user": v.technician.pk}
    ),
    # Reviews and action items (reviews branch): MSP data of one client.
    ("GET", "/api/v1/reviews"): Spec(LIST, _reviews_planted, client_filter=True),
    ("POST", "/api/v1/reviews"): Spec(WRITE, body=lambda v: {"incident_id": v.incident.pk}),
    ("GET", "/api/v1/reviews/{review_id}"): Spec(DETAIL, _review, viewer="technician"),
    ("PATCH", "/api/v1/reviews/{review_id}"): Spec(WRITE, _review, body=lambda v: {"summary": "Planted"}),
    ("POST", "/api/v1/reviews/{review_id}/complete"): Spec(WRITE, _review),
    ("POST", "/api/v1/reviews/{review_id}/marks"): Spec(WRITE, _review, body=lambda v: {"entry_id": 1}),
    ("PUT", "/api/v1/reviews/{review_id}/client-summary"): Spec(
        WRITE, _review, body=lambda v: {"text": "Planted"}
    ),
    ("POST", "/api/v1/reviews/{review_id}/client-summary/publish"): Spec(WRITE, _review),
    ("GET", "/api/v1/reviews/{review_id}/export"): Spec(DETAIL, _review, viewer="technician"),
    ("GET", "/api/v1/action-items"): Spec(LIST, _reviews_planted, client_filter=True),
    ("POST", "/api/v1/action-items"): Spec(
        WRITE,
        _review,
        body=lambda v: {
            **_review(v),
            "title": "Planted",
            "kind": "detect",
            "owner": v.technician.pk,
            "due_on": "2027-01-01",
        },
    ),
    ("GET", "/api/v1/action-items/{item_id}"): Spec(DETAIL, _action_item, viewer="technician"),
    ("PATCH", "/api/v1/action-items/{item_id}"): Spec(WRITE, _action_item, body=lambda v: {"status": "done"}),
    ("GET", "/api/v1/reports/metrics"): Spec(LIST, client_filter=True),
    ("GET", "/api/v1/reports/noise"): Spec(LIST, client_filter=True),
    ("GET", "/api/v1/reports/oncall-load"): Spec(LIST, client_filter=True),
    # Client communication (comms branch).
    ("GET", "/api/v1/communication-policies"): Spec(LIST, _comms_policy),
    ("POST", "/api/v1/communication-policies"): Spec(WRITE, body=lambda v: {"client": v.client.slug}),
    ("GET", "/api/v1/communication-policies/{policy_id}"): Spec(DETAIL, _comms_policy, viewer="technician"),
    ("PATCH", "/api/v1/communication-policies/{policy_id}"): Spec(
        WRITE, _comms_policy, body=lambda v: {"from_name": "Taken over"}
    ),
    ("DELETE", "/api/v1/communication-policies/{policy_id}"): Spec(WRITE, _comms_policy),
    ("GET", "/api/v1/message-templates"): Spec(LIST, _comms_template, client_filter=True),
    ("POST", "/api/v1/message-templates"): Spec(
        WRITE, body=lambda v: {"client": v.client.slug, "kind": "initial", "subject": "x", "body": "y"}
    ),
    ("POST", "/api/v1/message-templates/preview"): Spec(
        WRITE, body=lambda v: {"subject": "{{ incident.title }}", "body": "x", "incident": v.incident.pk}
    ),
    ("GET", "/api/v1/message-templates/{template_id}"): Spec(DETAIL, _comms_template, viewer="technician"),
    ("PATCH", "/api/v1/message-templates/{template_id}"): Spec(
        WRITE, _comms_template, body=lambda v: {"subject": "Taken over"}
    ),
    ("DELETE", "/api/v1/message-templates/{template_id}"): Spec(WRITE, _comms_template),
    ("GET", "/api/v1/contacts/{contact_id}/roles"): Spec(DETAIL, lambda v: {"contact_id": v.contact.pk}),
    ("PUT", "/api/v1/contacts/{contact_id}/roles"): Spec(
        WRITE, lambda v: {"contact_id": v.contact.pk}, body=lambda v: {"roles": ["billing"]}
    ),
    ("GET", "/api/v1/client-updates"): Spec(LIST, _client_updated, client_filter=True),
    ("GET", "/api/v1/incidents/{incident_id}/client-updates/recipients"): Spec(
        DETAIL, _client_updated, viewer="technician"
    ),
    ("POST", "/api/v1/incidents/{incident_id}/client-updates"): Spec(
        WRITE, _incident, body=lambda v: {"text": "Planted update"}
    ),
}


def _chat_channel(v: Any) -> dict[str, Any]:
    """The victim client's own chat channel (an e-mail list: no network), made on first use."""
    from watchkeeper.chat.models import ChatChannel

    channel = ChatChannel.objects.filter(client=v.client).first()
    if channel is None:
        channel = ChatChannel(
            client=v.client, name=f"{v.client.name} channel", kind="email", events=["opened"]
        )
        channel.address = v.contact.email
        channel.save()
        channel.posts.create(
            client=v.client, incident=v.incident, cause="isolation", event="opened", state="sent",
            title=f"{v.incident.reference} opened at {v.client.name}", text=v.client.name,
        )  # fmt: skip
    return {"channel_id": channel.pk}


def _chat_endpoint(v: Any) -> dict[str, Any]:
    from watchkeeper.chat.models import SlashEndpoint

    endpoint, _ = SlashEndpoint.objects.get_or_create(
        key="isolation-endpoint", defaults={"provider": "slack", "name": "Slack", "secret_encrypted": ""}
    )
    return {"endpoint_id": endpoint.pk}


def _chat_link(v: Any) -> dict[str, Any]:
    from watchkeeper.chat.models import ChatUserLink

    link, _ = ChatUserLink.objects.get_or_create(
        provider="slack", team_id="", external_id=f"U-{v.client.slug}", defaults={"user": v.technician}
    )
    return {"link_id": link.pk}


_CHAT_CHANNEL_BODY = {
    "name": "Planted",
    "kind": "email",
    "address": "planted@evil.example",
    "events": ["opened"],
}

URLS.update({
    # Team chat (issue 15 part 7): channels per client and the NOC's; endpoints and links are
    # installation-wide (only someone who works on every client changes them).
    "chat:page": Spec(LIST),
    "chat:channel": Spec(DETAIL, _chat_channel, viewer="technician"),
    "chat:channel_new": Spec(
        PAGE, body=lambda v: {**_CHAT_CHANNEL_BODY, "client": v.client.slug}, method="POST"
    ),
    "chat:channel_edit": Spec(PAGE, _chat_channel, body=lambda v: {"name": "Taken over"}, method="POST"),
    "chat:channel_delete": Spec(PAGE, _chat_channel, method="POST"),
    "chat:channel_test": Spec(PAGE, _chat_channel, method="POST"),
    "chat:endpoint_new": Spec(
        PAGE, body=lambda v: {"provider": "slack", "name": "Planted", "secret": "x" * 32}, method="POST"
    ),
    "chat:endpoint_delete": Spec(PAGE, _chat_endpoint, method="POST"),
    "chat:link_new": Spec(
        PAGE,
        body=lambda v: {"provider": "slack", "external_id": "U1", "user": str(v.technician.pk)},
        method="POST",
    ),
    "chat:link_delete": Spec(PAGE, _chat_link, method="POST"),
    # Verified by signature or token; an unknown key is refused before anything is read.
    "chat:command": Spec(PUBLIC, lambda v: {"key": "not-a-key"}),
})  # fmt: skip

API.update({
    ("GET", "/api/v1/chat-channels"): Spec(LIST, client_filter=True),
    ("POST", "/api/v1/chat-channels"): Spec(
        WRITE, body=lambda v: {**_CHAT_CHANNEL_BODY, "client": v.client.slug}
    ),
    ("GET", "/api/v1/chat-channels/{channel_id}"): Spec(DETAIL, _chat_channel, viewer="technician"),
    ("PATCH", "/api/v1/chat-channels/{channel_id}"): Spec(
        WRITE, _chat_channel, body=lambda v: {"name": "Taken"}
    ),
    ("DELETE", "/api/v1/chat-channels/{channel_id}"): Spec(WRITE, _chat_channel),
    ("POST", "/api/v1/chat-channels/{channel_id}/test"): Spec(WRITE, _chat_channel),
    ("GET", "/api/v1/chat-channels/{channel_id}/posts"): Spec(DETAIL, _chat_channel, viewer="technician"),
    ("GET", "/api/v1/chat-commands"): Spec(LIST),
    ("POST", "/api/v1/chat-commands"): Spec(
        WRITE, body=lambda v: {"provider": "slack", "name": "Planted", "secret": "x" * 32}
    ),
    ("DELETE", "/api/v1/chat-commands/{endpoint_id}"): Spec(WRITE, _chat_endpoint),
    ("GET", "/api/v1/chat-user-links"): Spec(LIST),
    ("POST", "/api/v1/chat-user-links"): Spec(
        WRITE, body=lambda v: {"provider": "slack", "external_id": "U1", "user": v.technician.pk}
    ),
    ("DELETE", "/api/v1/chat-user-links/{link_id}"): Spec(WRITE, _chat_link),
})  # fmt: skip
