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


def _incident(v: Any) -> dict[str, Any]:
    return {"incident_id": v.incident.pk}


def _policy(v: Any) -> dict[str, Any]:
    """The victim client's own escalation policy, paging its technician (made on first use)."""
    from tests.paging.factories import client_policy

    return {"policy_id": client_policy(v).pk}


def _method(v: Any) -> dict[str, Any]:
    from tests.paging.factories import technician_method

    return {"user_id": v.technician.pk, "method_id": technician_method(v).pk}


def _rule(v: Any) -> dict[str, Any]:
    from tests.paging.factories import technician_rule

    return {"user_id": v.technician.pk, "rule_id": technician_rule(v).pk}


def _person(v: Any) -> dict[str, Any]:
    """The victim's technician, with a contact method, a rule and a page in their log."""
    from tests.paging.factories import technician_log, technician_rule

    technician_rule(v)
    technician_log(v)
    return {"user_id": v.technician.pk}


# HTML URL names (namespace:name). Django admin URLs are covered by test_admin_isolation.
URLS: dict[str, Spec] = {
    "web:home": Spec(LIST),
    "web:healthz": Spec(PUBLIC),
    "web:readyz": Spec(PUBLIC),
    "web:metrics": Spec(PUBLIC),
    "tenancy:client": Spec(DETAIL, _client_slug),
    "tenancy:portal": Spec(PAGE),
    "accounts:login": Spec(PUBLIC),
    "accounts:two_factor_verify": Spec(PUBLIC),
    "accounts:logout": Spec(PAGE, method="POST"),
    "accounts:account": Spec(PAGE),
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
    # Paging console: policies are MSP data (the DETAIL control is the technician); one's own
    # contact methods and rules are addressed by id and answer 404 for anyone else's.
    "paging:policies": Spec(LIST),
    "paging:policy": Spec(DETAIL, _policy, viewer="technician"),
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
    "paging:rule_delete": Spec(PAGE, lambda v: {"rule_id": _rule(v)["rule_id"]}, method="POST"),
    "paging:escalate": Spec(PAGE, _incident, body=lambda v: {"level": "1"}, method="POST"),
    "paging:reassign": Spec(PAGE, _incident, body=lambda v: {"user": str(v.technician.pk)}, method="POST"),
    "paging:respond": Spec(PUBLIC, lambda v: {"token": "not-a-token"}),
    "api:api-root": Spec(PUBLIC),
    "api-not-found": Spec(PUBLIC, lambda v: {"rest": f"clients/{v.client.slug}/secrets"}),
    "api:openapi-json": Spec(PUBLIC),
    "api:openapi-view": Spec(PUBLIC),
}

# API operations as (METHOD, path template from the OpenAPI document).
API: dict[tuple[str, str], Spec] = {
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
    ("DELETE", "/api/v1/users/{user_id}/notification-rules/{rule_id}"): Spec(WRITE, _rule),
    ("GET", "/api/v1/users/{user_id}/notifications"): Spec(DETAIL, _person, viewer="technician"),
    ("GET", "/api/v1/incidents/{incident_id}/escalation"): Spec(DETAIL, _incident, viewer="technician"),
    ("POST", "/api/v1/incidents/{incident_id}/escalate"): Spec(WRITE, _incident, body=lambda v: {"level": 1}),
    ("POST", "/api/v1/incidents/{incident_id}/reassign"): Spec(
        WRITE, _incident, body=lambda v: {"user": v.technician.pk}
    ),
}
