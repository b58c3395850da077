"""PagerDuty Events API v2, wire-compatible: a PagerDuty client only changes its base URL.

`pagerduty_answer` does the work on the body alone, so that both adapters share it: the Django
views (tests, the full stack) and the raw WSGI route of the fast path (`raw_routes` in urls.py),
which answers the busiest endpoint without building a Django request or response."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.sources.pagerduty import parse as pagerduty
from watchkeeper.alerts.views.common import (
    Answer,
    BodyReader,
    IngestError,
    body_check,
    check_rate,
    json_parse,
    stored_text,
)


def _invalid(errors: list[str]) -> Answer:
    return Answer(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})


def _refused(exc: IngestError) -> Answer:
    if exc.status == 400:
        return _invalid([exc.message])
    status = "throttle event" if exc.status == 429 else "error"
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    return Answer(exc.status, {"status": status, "message": exc.message}, headers)


def pagerduty_answer(content_length: str | None, read: BodyReader, *, kind: str) -> Answer:
    """Accept one Events API v2 (or change) event: the answer PagerDuty would give."""
    try:
        body = body_check(content_length, read)
        value: Any = json_parse(body)
        if not isinstance(value, dict):
            return _invalid(["the body must be a JSON object"])
        integration = integration_for_key(str(value.get("routing_key") or ""), type="pagerduty")
        if integration is None:
            return _invalid(["'routing_key' does not match an enabled integration"])
        check_rate(integration.key, per_second=integration.rate_limit_per_second)
        if kind == "pagerduty_change":
            pagerduty.parse_change(value)
            inbox_accept(integration=integration, kind=kind, payload=value, payload_json=stored_text(body))
            return Answer(202, {"status": "success", "message": "Change event processed"})
        # The row names its event's key, the sender's or a new one: the engine's priority lane
        # groups pending rows by it without reading their payloads (ADR 0038).
        key = value.get("dedup_key") or pagerduty.new_dedup_key()
        event = pagerduty.parse_event(value, dedup_key=key if isinstance(key, str) else "")
        key = event.dedup_key
    except IngestError as exc:
        return _refused(exc)
    except EventError as exc:
        return _invalid(exc.errors)
    inbox_accept(
        integration=integration, kind=kind, payload=value, dedup_key=key, payload_json=stored_text(body)
    )
    return Answer(202, {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key})


def _view(request: HttpRequest, kind: str) -> HttpResponse:
    answer = pagerduty_answer(request.META.get("CONTENT_LENGTH"), request.read, kind=kind)
    response = HttpResponse(json.dumps(answer.body), status=answer.status, content_type="application/json")
    for name, value in answer.headers.items():
        response[name] = value
    return response


@csrf_exempt
@require_POST
def enqueue(request: HttpRequest) -> HttpResponse:
    return _view(request, "pagerduty")


@csrf_exempt
@require_POST
def change_enqueue(request: HttpRequest) -> HttpResponse:
    return _view(request, "pagerduty_change")
