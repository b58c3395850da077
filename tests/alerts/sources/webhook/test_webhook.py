"""Generic JSON webhook: templates, defaults, preview and template errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.alerts.sources.webhook.parse import webhook_config_validate, webhook_preview
from watchkeeper.incidents.models import Incident

pytestmark = pytest.mark.django_db

# One client for the module: each new one sets its middleware up again (about 0.25 s).
HTTP = HttpClient()

TEMPLATES = {
    "title": "{{ check.name }} is {{ check.state }} on {{ host }}",
    "dedup_key": "{{ host }}/{{ check.id }}",
    "severity": "{{ 'critical' if check.level >= 3 else 'warning' }}",
    "resolve": "{{ check.state == 'up' }}",
    "service": "{{ tags.service }}",
    "source": "{{ host }}",
    "details": '{"level": {{ check.level }}, "tags": {{ tags | tojson }}}',
}


def _event(state: str, level: int = 3) -> dict[str, Any]:
    return {
        "host": "web01",
        "check": {"id": 17, "name": "HTTPS", "state": state, "level": level},
        "tags": {"service": "Shop"},
    }


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def _post(integration: Integration, body: Any) -> Any:
    return HTTP.post(f"/integrations/webhook/{integration.key}", body, content_type="application/json")


def test_templates_trigger_and_resolve() -> None:
    integration = IntegrationFactory(type="webhook", config={"templates": TEMPLATES})
    shop = ServiceFactory(client=integration.client, name="Shop")
    response = _post(integration, _event("down"))
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "dedup_key": "web01/17", "action": "trigger"}
    inbox_process()
    alert = Alert.objects.get()
    assert (alert.summary, alert.dedup_key, alert.severity, alert.source, alert.service) == (
        "HTTPS is down on web01",
        "web01/17",
        "critical",
        "web01",
        shop,
    )
    assert alert.details == {"level": 3, "tags": {"service": "Shop"}}
    assert alert.raw == _event("down")
    incident = Incident.objects.get()

    assert _post(integration, _event("up")).json()["action"] == "resolve"
    inbox_process()
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert (alert.status, incident.status) == ("resolved", "resolved")


def test_defaults_without_templates() -> None:
    integration = IntegrationFactory(type="webhook")
    body = {"title": "Printer offline", "id": "prn-7", "severity": "crit", "host": "prn7"}
    assert _post(integration, body).json() == {
        "status": "accepted",
        "dedup_key": "prn-7",
        "action": "trigger",
    }
    _post(integration, {**body, "status": "resolved"})
    anonymous = _post(integration, {"text": "something happened", "at": 1}).json()
    assert len(anonymous["dedup_key"]) == 32  # a hash of the payload
    assert _post(integration, {"text": "something happened", "at": 1}).json() == anonymous
    _post(integration, [1, 2, 3])  # any JSON value is a payload
    inbox_process()
    printer = Alert.objects.get(dedup_key="prn-7")
    assert (printer.summary, printer.severity, printer.source, printer.status) == (
        "Printer offline",
        "critical",
        "prn7",
        "resolved",
    )
    assert printer.details == body
    other = Alert.objects.get(dedup_key=anonymous["dedup_key"])
    assert (other.summary, other.occurrence_count, other.severity) == ("something happened", 2, "warning")
    assert Alert.objects.filter(summary="Webhook event").count() == 1


def test_a_payload_the_templates_cannot_render_is_400_naming_the_template() -> None:
    templates = {"title": "{{ check.name | upper }}", "severity": "{{ 1 / check.level }}"}
    integration = IntegrationFactory(type="webhook", config={"templates": templates})
    response = _post(integration, _event("down", level=0))
    assert response.status_code == 400
    assert any(error.startswith("template 'severity'") for error in response.json()["errors"])
    assert "ZeroDivisionError" in response.json()["errors"][0]
    assert not InboxEvent.objects.exists()
    # Missing fields are not errors: they render empty and the defaults apply.
    assert _post(integration, {"message": "hi", "check": {"level": 1}}).status_code == 202


def test_preview_and_config_validation() -> None:
    preview = webhook_preview(config={"templates": TEMPLATES}, payload=_event("down", level=1))
    assert preview["ok"] is True
    assert preview["errors"] == []
    assert preview["fields"] == {
        "title": "HTTPS is down on web01",
        "dedup_key": "web01/17",
        "severity": "warning",
        "action": "trigger",
        "service": "Shop",
        "source": "web01",
        "details": {"level": 1, "tags": {"service": "Shop"}},
    }
    odd = webhook_preview(config={"templates": {"severity": "loud", "resolve": "maybe"}}, payload={})
    assert odd["ok"] is True
    assert odd["fields"]["severity"] == "warning"
    assert any("'severity' rendered 'loud'" in warning for warning in odd["warnings"])
    assert any("'resolve' rendered 'maybe'" in warning for warning in odd["warnings"])

    broken = {"templates": {"title": "{{ unclosed", "colour": "red", "source": 5}, "default_severity": "x"}
    problems = webhook_config_validate(broken)
    assert any(p.startswith("template 'title' line 1:") for p in problems)
    assert any("unknown template 'colour'" in p for p in problems)
    assert any("template 'source' must be text" in p for p in problems)
    assert any("default_severity" in p for p in problems)
    failed = webhook_preview(config=broken, payload={})
    assert failed["ok"] is False
    assert failed["fields"] is None
    assert webhook_config_validate({"templates": TEMPLATES}) == []
    assert webhook_config_validate("nope") == ["the configuration must be a JSON object"]


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ payload.__class__ }}",
        "{{ 'x' * 100000000 }}",
        "{{ 2 ** 100000 }}",
        "{% for i in range(100000) %}{{ i }}{% endfor %}",
        "{% for i in range(900) %}{{ payload }}{% endfor %}",
        "{{ payload.update({'a': 1}) }}",
    ],
)
def test_the_sandbox_refuses_escapes_and_huge_output(template: str) -> None:
    payload = {"blob": "x" * 1000}
    preview = webhook_preview(config={"templates": {"title": template}}, payload=payload)
    if preview["ok"]:
        # Attribute escapes render empty under the sandbox rather than reaching internals.
        assert "class" not in preview["fields"]["title"]
    else:
        assert preview["errors"][0].startswith("template 'title'")
    assert payload == {"blob": "x" * 1000}


def test_unknown_key_and_oversized_dedup_key() -> None:
    assert HTTP.post("/integrations/webhook/nope", {}, content_type="application/json").status_code == 404
    integration = IntegrationFactory(type="webhook", config={"templates": {"dedup_key": "{{ key }}"}})
    response = _post(integration, {"key": "k" * 300})
    assert response.status_code == 202
    assert len(response.json()["dedup_key"]) == 32
