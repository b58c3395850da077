"""The registry of ingest sources: every source is complete, and every inbox row the intake
writes has a parser (a row without one would fail five times in the engine, then park)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import InboxEvent, Integration, IntegrationType
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.sources.base import Source
from watchkeeper.alerts.sources.email import smtp
from watchkeeper.alerts.sources.registry import CHOICES, KINDS, PARSERS, SOURCES, integration_setup
from watchkeeper.alerts.views import common
from watchkeeper.cli import _parser

pytestmark = pytest.mark.django_db

HTTP = HttpClient()


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def test_the_registry_lists_the_integration_types_in_order_with_their_labels() -> None:
    assert IntegrationType.choices == CHOICES
    assert len(set(KINDS)) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_cli_accepts_every_registered_type(kind: str) -> None:
    # The CLI builds its arguments before Django is set up, so it lists the types itself.
    args = _parser().parse_args(["integration", "create", "--client", "c", "--type", kind, "--name", "n"])
    assert args.type == kind


@pytest.mark.parametrize("source", SOURCES, ids=KINDS)
def test_every_source_has_parsers_a_config_check_and_a_setup_text(source: Source) -> None:
    assert source.parsers
    assert all(callable(parser) for parser in source.parsers.values())
    assert source.config_check({}) == []  # a new integration starts with an empty config
    integration = IntegrationFactory(type=source.kind)
    setup = integration_setup(
        integration=integration, base="https://wk.example", key="KEY-SHOWN", email_domain="mail.example"
    )
    assert setup.endpoint and setup.endpoint_label and setup.examples
    assert all(example.title and example.text for example in setup.examples)
    assert any("KEY-SHOWN" in text for text in (setup.endpoint, *(e.text for e in setup.examples)))
    if source.urls:
        patterns = import_module(source.urls).urlpatterns
        assert patterns and all(isinstance(p, URLPattern) for p in patterns)


def _post_json(path: str, body: Any, **headers: str) -> None:
    response = HTTP.post(path, json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code in (200, 202), response.content


def _pagerduty(integration: Integration) -> None:
    key = integration.key
    _post_json("/v2/enqueue", {"routing_key": key, "event_action": "trigger",
               "payload": {"summary": "Disk full", "source": "web01", "severity": "warning"}})  # fmt: skip
    _post_json("/v2/change/enqueue", {"routing_key": key, "payload": {"summary": "Deployed", "source": "ci"}})


def _alertmanager(integration: Integration) -> None:
    alert = {"status": "firing", "labels": {"alertname": "Down"}, "annotations": {}}
    _post_json(f"/integrations/alertmanager/{integration.key}",
               {"version": "4", "groupKey": "g", "status": "firing", "alerts": [alert]})  # fmt: skip


def _opsgenie(integration: Integration) -> None:
    genie = {"Authorization": f"GenieKey {integration.key}"}
    _post_json("/v2/alerts", {"message": "Backup failed", "alias": "nas01"}, **genie)
    _post_json("/v2/alerts/nas01/acknowledge?identifierType=alias", {}, **genie)
    _post_json("/v2/alerts/nas01/close?identifierType=alias", {}, **genie)
    # The updates (by alias: stored without looking the alert up), one inbox kind each.
    path = "/v2/alerts/nas01/{}?identifierType=alias"
    _post_json(path.format("notes"), {"note": "Restarted"}, **genie)
    _post_json(path.format("tags"), {"tags": ["nas"]}, **genie)
    _post_json(path.format("details"), {"details": {"job": "nightly"}}, **genie)
    _post_json(path.format("assign"), {"owner": {"username": "tech@msp.example"}}, **genie)
    for method, url, body in (
        ("delete", path.format("tags") + "&tags=nas", ""),
        ("delete", path.format("details") + "&keys=job", ""),
        ("put", path.format("priority"), json.dumps({"priority": "P1"})),
    ):
        response = getattr(HTTP, method)(url, body, content_type="application/json", headers=genie)
        assert response.status_code == 202, response.content


def _webhook(integration: Integration) -> None:
    _post_json(f"/integrations/webhook/{integration.key}", {"title": "Disk full"})


def _email(integration: Integration) -> None:
    # What the smtp role does with a message once its recipients are accepted.
    message = b"Subject: PROBLEM disk full\r\n\r\nThe disk is full"
    smtp.email_accept(message=message, routes=[(f"{integration.key}@mail.example", integration)])


def _heartbeat(integration: Integration) -> None:
    assert HTTP.get(f"/integrations/heartbeat/{integration.key}").status_code == 202


# One way in for each source, as a sender uses it: every operation its endpoints accept.
SENDERS: dict[str, Callable[[Integration], None]] = {
    "pagerduty": _pagerduty,
    "alertmanager": _alertmanager,
    "opsgenie": _opsgenie,
    "webhook": _webhook,
    "email": _email,
    "heartbeat": _heartbeat,
}


def test_every_inbox_kind_the_intake_writes_has_a_parser() -> None:
    assert set(SENDERS) == set(KINDS), "a new source needs a sender here"
    for kind, send in SENDERS.items():
        send(IntegrationFactory(type=kind))
    rows = list(InboxEvent.objects.select_related("integration").order_by("pk"))
    assert {row.kind for row in rows} == set(PARSERS)  # written ones parse; no parser is unused
    for row in rows:
        assert PARSERS[row.kind](row), row.kind


def test_the_fast_path_serves_the_raw_routes_the_sources_declare(monkeypatch: pytest.MonkeyPatch) -> None:
    # As Django's test client does with request_finished: the test's transaction keeps its connection.
    monkeypatch.setattr(common, "_connection_upkeep", lambda: None)
    integration = IntegrationFactory(type="pagerduty")
    event = {"summary": "Disk full", "source": "web01", "severity": "warning"}
    body = json.dumps({"routing_key": integration.key, "event_action": "trigger", "payload": event}).encode()

    def django_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise AssertionError("the raw route should have answered")

    app = common.ingest_fast_path(django_app)  # type: ignore[arg-type]
    answered: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/v2/enqueue", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}  # fmt: skip
    reply = b"".join(app(environ, lambda status, headers: answered.append(status)))
    assert answered == ["202 Accepted"]
    assert json.loads(reply)["status"] == "success"
    assert InboxEvent.objects.get(integration=integration).kind == "pagerduty"
