"""Console pages of alert intake: integrations (list, create, setup, rotate, switch, preview)
and alerts (list, detail)."""

from __future__ import annotations

import html
import itertools
from typing import Any

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.views import console

pytestmark = pytest.mark.django_db

_keys = itertools.count()


def _alert(integration: Integration, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "client": integration.client, "integration": integration, "service": integration.default_service,
        "dedup_key": f"key-{next(_keys)}", "summary": "Disk almost full on fs01", "severity": "warning",
    }  # fmt: skip
    values.update(fields)
    return Alert.objects.create(**values)


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


# --- integrations ------------------------------------------------------------------------------


def test_integration_list_shows_the_users_clients_in_constant_queries(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    http = browser_as(world.owner)
    http.get(reverse("alerts:integrations"))  # warm the session and caches
    with django_assert_max_num_queries(12) as few:
        response = http.get(reverse("alerts:integrations"))
    for n in range(8):
        integration = IntegrationFactory(default_service=world.b.service, name=f"RMM {n}")
        _alert(integration)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(reverse("alerts:integrations"))
    assert response.status_code == 200
    assert "RMM 7" in _text(response)
    assert world.a.integration.name in _text(response)


def test_integration_list_filters_by_client_and_refuses_another_tenants_client(
    world: Any, browser_as: Any
) -> None:
    http = browser_as(world.b.technician)
    own = http.get(reverse("alerts:integrations"), {"client": world.b.client.slug})
    assert world.b.integration.name in _text(own)
    assert world.a.integration.name not in _text(own)
    assert http.get(reverse("alerts:integrations"), {"client": world.a.client.slug}).status_code == 404


def test_empty_integration_list_says_how_to_start(db: Any, browser_as: Any) -> None:
    response = browser_as(UserFactory(role=Role.OWNER)).get(reverse("alerts:integrations"))
    assert "No integrations yet" in _text(response)
    assert "watchkeeper integration create" in _text(response)


def test_portal_users_have_no_integration_pages(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.client_admin)
    assert http.get(reverse("alerts:integrations")).status_code == 403
    page = reverse("alerts:integration", kwargs={"integration_id": world.a.integration.pk})
    assert http.get(page).status_code == 404


def _setup_page(http: Any, integration: Integration) -> str:
    response = http.get(reverse("alerts:integration", kwargs={"integration_id": integration.pk}))
    assert response.status_code == 200
    return _text(response)


def test_pagerduty_setup_page_has_the_key_and_ready_examples(world: Any, browser_as: Any) -> None:
    page = _setup_page(browser_as(world.a.technician), world.a.integration)
    key = world.a.integration.key
    assert key in page
    assert "http://testserver/v2/enqueue" in page
    assert f'"routing_key": "{key}"' in page
    assert "pagerduty_configs" in page and "url: http://testserver/v2/enqueue" in page
    assert "Zabbix, Grafana, RMM tools" in page
    assert "Rotate the key" in page


def test_alertmanager_setup_page_has_a_receiver_block(world: Any, browser_as: Any) -> None:
    integration = IntegrationFactory(default_service=world.a.service, type="alertmanager")
    page = _setup_page(browser_as(world.a.technician), integration)
    assert "webhook_configs:" in page
    assert f"- url: http://testserver/integrations/alertmanager/{integration.key}" in page


def test_email_and_heartbeat_setup_pages(world: Any, browser_as: Any, settings: Any) -> None:
    settings.INBOUND_EMAIL_DOMAIN = "alerts.msp.example"
    http = browser_as(world.a.technician)
    mail = IntegrationFactory(default_service=world.a.service, type="email")
    assert f"{mail.key}@alerts.msp.example" in _setup_page(http, mail)
    beat = IntegrationFactory(
        default_service=world.a.service, type="heartbeat", heartbeat_interval_seconds=86400
    )
    page = _setup_page(http, beat)
    assert f"curl -fsS -m 10 --retry 3 http://testserver/integrations/heartbeat/{beat.key}" in page
    assert "within 24 h plus 1 min of grace" in page


def test_the_key_is_hidden_from_those_who_may_not_manage(
    world: Any, browser_as: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(console.selectors, "integration_key_visible", lambda **kwargs: False)
    page = _setup_page(browser_as(world.a.technician), world.a.integration)
    assert world.a.integration.key not in page
    assert '"routing_key": "INTEGRATION-KEY"' in page
    assert "Rotate the key" not in page


def test_rotating_keeps_the_old_key_for_the_grace_period(world: Any, browser_as: Any) -> None:
    old = world.a.integration.key
    url = reverse("alerts:integration_rotate", kwargs={"integration_id": world.a.integration.pk})
    response = browser_as(world.a.technician).post(url, follow=True)
    world.a.integration.refresh_from_db()
    assert world.a.integration.key != old
    assert world.a.integration.previous_key == old
    page = _text(response)
    assert "The old key keeps working until" in page
    assert old in page and world.a.integration.key in page


def test_switching_off_and_on(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    url = reverse("alerts:integration_enabled", kwargs={"integration_id": world.a.integration.pk})
    response = http.post(url, {"enabled": "0"}, follow=True)
    world.a.integration.refresh_from_db()
    assert not world.a.integration.is_enabled
    assert "switched off" in _text(response)
    http.post(url, {"enabled": "1"})
    world.a.integration.refresh_from_db()
    assert world.a.integration.is_enabled


def test_actions_on_another_tenants_integration_are_404(world: Any, browser_as: Any) -> None:
    http = browser_as(world.b.technician)
    for name in ("alerts:integration_rotate", "alerts:integration_enabled", "alerts:integration_preview"):
        url = reverse(name, kwargs={"integration_id": world.a.integration.pk})
        assert http.post(url, {"enabled": "0", "payload": "{}"}).status_code == 404, name
    integration = Integration.objects.get(pk=world.a.integration.pk)
    assert (integration.key, integration.is_enabled) == (world.a.integration.key, True)


def test_create_an_integration(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    form = http.get(reverse("alerts:integration_new"), {"client": world.a.client.slug})
    assert world.a.service.name in _text(form)
    assert world.b.client.name not in _text(form)
    data = {"client": world.a.client.slug, "type": "alertmanager", "name": "Prometheus", "service": ""}
    response = http.post(reverse("alerts:integration_new"), data)
    integration = Integration.objects.get(client=world.a.client, name="Prometheus")
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:integration", kwargs={"integration_id": integration.pk})
    assert integration.type == "alertmanager"


def test_create_refuses_another_tenants_client_or_service(world: Any, browser_as: Any) -> None:
    http = browser_as(world.b.technician)
    url = reverse("alerts:integration_new")
    other_client = http.post(url, {"client": world.a.client.slug, "type": "pagerduty", "name": "Planted"})
    assert other_client.status_code == 400
    other_service = http.post(
        url,
        {
            "client": world.b.client.slug,
            "type": "pagerduty",
            "name": "Planted",
            "service": world.a.service.pk,
        },
    )
    assert other_service.status_code == 400
    assert not Integration.objects.filter(name="Planted").exists()


def test_duplicate_name_is_a_form_error(world: Any, browser_as: Any) -> None:
    data = {"client": world.a.client.slug, "type": "pagerduty", "name": world.a.integration.name}
    response = browser_as(world.a.technician).post(reverse("alerts:integration_new"), data)
    assert response.status_code == 400
    assert "already has an integration named" in _text(response)


def test_webhook_preview_renders_the_templates(world: Any, browser_as: Any) -> None:
    config = {
        "templates": {"title": "{{ payload.check }} on {{ payload.host }}", "severity": "{{ payload.level }}"}
    }
    integration = IntegrationFactory(default_service=world.a.service, type="webhook", config=config)
    url = reverse("alerts:integration_preview", kwargs={"integration_id": integration.pk})
    http = browser_as(world.a.technician)
    sample = '{"check": "disk /data", "host": "fs01", "level": "critical"}'
    partial = http.post(url, {"payload": sample}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "disk /data on fs01" in _text(partial)
    assert "<html" not in _text(partial)
    full = http.post(url, {"payload": "{not json"})
    assert full.status_code == 200
    assert "The sample is not valid JSON" in _text(full)
    assert Alert.objects.filter(integration=integration).count() == 0


def test_preview_is_only_for_webhooks(world: Any, browser_as: Any) -> None:
    url = reverse("alerts:integration_preview", kwargs={"integration_id": world.a.integration.pk})
    response = browser_as(world.a.technician).post(url, {"payload": "{}"})
    assert response.status_code == 400


# --- alerts ------------------------------------------------------------------------------------


def test_alert_list_filters(world: Any, browser_as: Any) -> None:
    integration = world.a.integration
    _alert(integration, summary="Backup job failed on nas01", severity="error")
    _alert(integration, summary="Noisy printer", severity="info", suppressed=True, suppressed_reason="rule")
    _alert(integration, summary="Old and done", status="resolved")
    http = browser_as(world.a.technician)

    def shown(**params: str) -> str:
        response = http.get(reverse("alerts:list"), params)
        assert response.status_code == 200
        return _text(response)

    default = shown()
    assert "Backup job failed" in default and "Old and done" not in default
    assert "Old and done" in shown(status="all")
    assert "Backup job failed" not in shown(severity="info")
    assert "Noisy printer" in shown(suppressed="yes") and "Backup job" not in shown(suppressed="yes")
    assert "Noisy printer" not in shown(q="nas01")
    assert "Backup job failed" in shown(q="nas01")
    assert "Backup job failed" not in shown(integration=str(world.b.integration.pk))
    assert http.get(reverse("alerts:list"), {"status": "exploded"}).status_code == 400
    assert http.get(reverse("alerts:list"), {"client": world.b.client.slug}).status_code == 404


def test_alert_list_has_no_n_plus_one(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    http = browser_as(world.owner)
    http.get(reverse("alerts:list"))
    with django_assert_max_num_queries(12) as few:
        http.get(reverse("alerts:list"))
    for _ in range(10):
        _alert(world.b.integration, incident=world.b.incident)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(reverse("alerts:list"))
    assert _text(response).count(world.b.incident.reference) >= 10


def test_alert_detail_shows_everything_safely(world: Any, browser_as: Any) -> None:
    alert = _alert(
        world.a.integration,
        incident=world.a.incident,
        labels={"env": "production", "team": "infra"},
        details={"free space": "3%"},
        links=[
            {"href": "https://grafana.example/d/1", "text": "Dashboard"},
            {"href": "javascript:alert(1)", "text": "Trap"},
        ],
        raw={"event_action": "trigger", "payload": {"summary": "<script>x</script>"}},
    )  # fmt: skip
    response = browser_as(world.a.technician).get(reverse("alerts:detail", kwargs={"alert_id": alert.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "production" in body and "free space" in body
    assert 'href="https://grafana.example/d/1"' in body
    assert "javascript:" not in body
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert world.a.incident.reference in body
    assert "<pre" in body


def test_alert_detail_of_another_tenant_is_404(world: Any, browser_as: Any) -> None:
    url = reverse("alerts:detail", kwargs={"alert_id": world.a.alert.pk})
    assert browser_as(world.b.technician).get(url).status_code == 404
    assert browser_as(world.a.client_admin).get(url).status_code == 404


def test_integration_and_alert_pages_for_a_second_service(world: Any, browser_as: Any) -> None:
    other = ServiceFactory(client=world.a.client, name="Mail relay")
    integration = IntegrationFactory(default_service=other, name="Mail checks")
    _alert(integration, summary="Relay queue growing")
    page = _setup_page(browser_as(world.a.technician), integration)
    assert "Mail relay" in page and "Relay queue growing" in page
