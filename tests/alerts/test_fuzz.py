"""Fuzz every intake endpoint with arbitrary JSON and bytes.

Properties: no 5xx (the documented 503 shedding cannot occur here: the limiter is reset before
every example), no exception, every answer is JSON, and every accepted event is processed by
the engine without failing (a row that was accepted always parses).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import InboxEvent, InboxStatus, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process

pytestmark = pytest.mark.django_db

# One client for the module: each new one sets its middleware up again (about 0.25 s).
HTTP = HttpClient()

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
# Identifiers travel in the URL path; a newline cannot match any route (Django's own 404).
identifiers = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), min_size=1, max_size=40
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)


def _shaped(
    fields: list[str], nested: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[Any]:
    """Objects using the format's own field names, so the fuzz reaches past 'missing field'."""
    values = {name: (nested or {}).get(name, json_values) for name in fields}
    return st.fixed_dictionaries({}, optional=values)


ALERTMANAGER_ALERT = _shaped(
    ["status", "labels", "annotations", "fingerprint", "startsAt", "endsAt", "generatorURL", "silenceURL"],
    {
        "status": st.sampled_from(["firing", "resolved", "other"]),
        "labels": st.dictionaries(st.text(max_size=8), scalars, max_size=4),
    },
)
SHAPES: dict[str, st.SearchStrategy[Any]] = {
    "pagerduty": _shaped(
        ["event_action", "dedup_key", "payload", "links", "images", "client", "client_url"],
        {
            "event_action": st.sampled_from(["trigger", "acknowledge", "resolve", "x"]),
            "payload": _shaped(["summary", "source", "severity", "timestamp", "custom_details", "component"]),
        },
    ),
    "pagerduty_change": _shaped(
        ["payload", "links"], {"payload": _shaped(["summary", "source", "timestamp"])}
    ),
    "alertmanager": _shaped(
        ["version", "groupKey", "status", "receiver", "groupLabels", "externalURL", "alerts"],
        {"alerts": st.lists(ALERTMANAGER_ALERT | json_values, max_size=4)},
    ),
    "opsgenie": _shaped(
        ["message", "alias", "description", "tags", "details", "entity", "source", "priority"]
    ),
    "opsgenie_action": _shaped(["user", "source", "note"]),
    "webhook": _shaped(["title", "id", "severity", "status", "host", "check", "tags"]),
    "heartbeat": json_values,
}
WEBHOOK_TEMPLATES = {
    "title": "{{ check.name }} on {{ host }}",
    "dedup_key": "{{ host }}/{{ check.id }}",
    "severity": "{{ severity }}",
    "resolve": "{{ status == 'ok' }}",
    "details": "{{ tags | tojson }}",
}


@pytest.fixture
def keys(db: Any) -> dict[str, Integration]:
    return {
        kind: IntegrationFactory(type=kind, config=config)
        for kind, config in [
            ("pagerduty", {}),
            ("alertmanager", {}),
            ("opsgenie", {}),
            ("webhook", {"templates": WEBHOOK_TEMPLATES}),
            ("heartbeat", {}),
        ]
    }


def _body_with_key(body: Any, key: str, with_key: bool) -> Any:
    if with_key and isinstance(body, dict):
        return {**body, "routing_key": key}
    return body


TARGETS: dict[str, tuple[str, Callable[[dict[str, Integration]], tuple[str, dict[str, str]]]]] = {
    "pagerduty": ("pagerduty", lambda k: ("/v2/enqueue", {})),
    "pagerduty_change": ("pagerduty_change", lambda k: ("/v2/change/enqueue", {})),
    "alertmanager": ("alertmanager", lambda k: (f"/integrations/alertmanager/{k['alertmanager'].key}", {})),
    "webhook": ("webhook", lambda k: (f"/integrations/webhook/{k['webhook'].key}", {})),
    "heartbeat": ("heartbeat", lambda k: (f"/integrations/heartbeat/{k['heartbeat'].key}", {})),
    "opsgenie": ("opsgenie", lambda k: ("/v2/alerts", {"Authorization": f"GenieKey {k['opsgenie'].key}"})),
}


def _send(path: str, headers: dict[str, str], raw: bytes) -> Any:
    limiter.reset()
    response = HTTP.generic("POST", path, raw, content_type="application/json", headers=headers)
    assert response.status_code < 500, (path, raw[:200], response.status_code, response.content[:300])
    json.loads(response.content)  # every answer, errors included, is JSON
    if response.status_code < 300:
        inbox_process()
        failed = InboxEvent.objects.exclude(status=InboxStatus.DONE).values_list("kind", "error")
        assert not failed, (path, raw[:200], list(failed))
    return response


def _encode(body: Any) -> bytes:
    return json.dumps(body).encode()  # NaN and Infinity included, as a careless sender writes them


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_arbitrary_json(keys: dict[str, Integration], endpoint: str) -> None:
    shape, target = TARGETS[endpoint]

    @FUZZ
    @given(body=SHAPES[shape] | json_values, with_key=st.booleans())
    def run(body: Any, with_key: bool) -> None:
        path, headers = target(keys)
        if endpoint.startswith("pagerduty"):
            body = _body_with_key(body, keys["pagerduty"].key, with_key)
        _send(path, headers, _encode(body))

    run()


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_arbitrary_bytes(keys: dict[str, Integration], endpoint: str) -> None:
    _, target = TARGETS[endpoint]

    @FUZZ
    @given(raw=st.binary(max_size=600))
    def run(raw: bytes) -> None:
        path, headers = target(keys)
        _send(path, headers, raw)

    run()


@FUZZ
@given(
    identifier=identifiers,
    action=st.sampled_from(["acknowledge", "close"]),
    identifier_type=st.sampled_from(["id", "alias", "tiny", ""]),
    body=SHAPES["opsgenie_action"] | json_values,
)
def test_opsgenie_actions(
    keys: dict[str, Integration], identifier: str, action: str, identifier_type: str, body: Any
) -> None:
    path = f"/v2/alerts/{quote(identifier, safe='')}/{action}?identifierType={identifier_type}"
    _send(path, {"Authorization": f"GenieKey {keys['opsgenie'].key}"}, _encode(body))


@FUZZ
@given(identifier=identifiers, raw=st.binary(max_size=300))
def test_opsgenie_actions_bytes(keys: dict[str, Integration], identifier: str, raw: bytes) -> None:
    path = f"/v2/alerts/{quote(identifier, safe='')}/close"
    _send(path, {"Authorization": f"GenieKey {keys['opsgenie'].key}"}, raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"message": "x", "alerts": [{"status": "firing", "labels": {"a": "b"}}], "v": NaN}',
        b'{"message": "x", "alerts": [{"status": "firing", "labels": {"a": "b"}}], "v": -Infinity}',
        b'{"message": "x\\u0000", "alerts": [{"status": "firing", "labels": {"a": "b\\u0000"}}]}',
        b'{"message": "x\\ud800", "alerts": [{"status": "firing", "labels": {"a": "\\ud800"}}]}',
    ],
)
@pytest.mark.parametrize("endpoint", ["alertmanager", "opsgenie", "webhook"])
def test_values_no_database_stores_are_400(keys: dict[str, Integration], endpoint: str, raw: bytes) -> None:
    path, headers = TARGETS[endpoint][1](keys)
    response = _send(path, headers, raw)
    assert response.status_code == 400
    assert not InboxEvent.objects.exists()


def test_an_escaped_backslash_before_u0000_is_plain_text(keys: dict[str, Integration]) -> None:
    path, headers = TARGETS["webhook"][1](keys)
    assert _send(path, headers, b'{"title": "C:\\\\u0000 is a path"}').status_code == 202


@pytest.mark.parametrize("value", [b"NaN", b'"a\\u0000"', b'"\\ud800"'])
def test_pagerduty_refuses_values_no_database_stores(keys: dict[str, Integration], value: bytes) -> None:
    raw = b'{"routing_key": "%s", "event_action": "resolve", "dedup_key": "k", "x": %s}' % (
        keys["pagerduty"].key.encode(),
        value,
    )
    assert _send("/v2/enqueue", {}, raw).status_code == 400
