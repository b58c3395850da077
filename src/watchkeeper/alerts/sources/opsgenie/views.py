"""Opsgenie Alert API subset, wire-compatible for create, acknowledge, close and request status.

Answers and errors take Opsgenie's shape ({"message", "took", "requestId"}), with its codes:
401 for a missing or unknown GenieKey, 422 for invalid fields, 429 when rate limited.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.selectors import inbox_request_status
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.sources.opsgenie import parse as opsgenie
from watchkeeper.alerts.views.common import (
    UNSTORABLE_ERRORS,
    UNSTORABLE_TEXT,
    IngestError,
    check_rate,
    read_body,
    read_json,
    require_storable,
)

KINDS = {"acknowledge": "opsgenie_ack", "close": "opsgenie_close"}


def _answer(status: int, started: float, request_id: str = "", **fields: Any) -> JsonResponse:
    request_id = request_id or str(uuid.uuid4())
    body = {**fields, "took": round(time.monotonic() - started, 3), "requestId": request_id}
    return JsonResponse(body, status=status)


def _integration(request: HttpRequest) -> Integration:
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "geniekey" or not key.strip():
        raise IngestError(401, "Send the integration key as 'Authorization: GenieKey <key>'")
    integration = integration_for_key(key.strip(), type="opsgenie")
    if integration is None:
        raise IngestError(401, "The GenieKey does not match an enabled Opsgenie integration")
    check_rate(integration.key, per_second=integration.rate_limit_per_second)
    return integration


def _refused(exc: IngestError, started: float) -> JsonResponse:
    response = _answer(exc.status, started, message=exc.message)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@csrf_exempt
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    started = time.monotonic()
    try:
        integration = _integration(request)
        body: Any = read_json(request)
        has_alias = isinstance(body, dict) and bool(body.get("alias"))
        alias = "" if has_alias else opsgenie.new_alias()
        event = opsgenie.parse_create(body, alias=alias)
        request_id = str(uuid.uuid4())
        inbox_accept(
            integration=integration, kind="opsgenie", payload=body, dedup_key=alias, request_id=request_id
        )
    except IngestError as exc:
        return _refused(exc, started)
    except EventError as exc:
        return _answer(422, started, message="; ".join(exc.errors))
    except UNSTORABLE_ERRORS:
        return _answer(400, started, message=UNSTORABLE_TEXT)
    return _answer(202, started, request_id, result="Request will be processed", alias=event.dedup_key)


def _action(request: HttpRequest, identifier: str, action: str) -> HttpResponse:
    started = time.monotonic()
    try:
        integration = _integration(request)
        # Opsgenie clients often send no body at all for acknowledge and close.
        body = _optional_json(read_body(request))
        payload = opsgenie.parse_action_request(
            identifier=identifier, identifier_type=request.GET.get("identifierType", "id"), body=body
        )
        require_storable(payload)
        request_id = str(uuid.uuid4())
        inbox_accept(integration=integration, kind=KINDS[action], payload=payload, request_id=request_id)
    except IngestError as exc:
        return _refused(exc, started)
    except EventError as exc:
        return _answer(422, started, message="; ".join(exc.errors))
    except UNSTORABLE_ERRORS:
        return _answer(400, started, message=UNSTORABLE_TEXT)
    return _answer(202, started, request_id, result="Request will be processed")


@csrf_exempt
@require_GET
def request_status(request: HttpRequest, request_id: str) -> HttpResponse:
    """`GET /v2/alerts/requests/{requestId}`: how an earlier create/acknowledge/close went.
    404 (as Opsgenie answers) until the engine has processed it."""
    started = time.monotonic()
    try:
        integration = _integration(request)
    except IngestError as exc:
        return _refused(exc, started)
    data = inbox_request_status(integration=integration, request_id=request_id[:36])
    if data is None:
        return _answer(404, started, message="Request not found. It might not be processed, yet.")
    return _answer(200, started, data=data)


def _optional_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(400, f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise IngestError(400, "The body is nested too deeply") from None


@csrf_exempt
@require_POST
def acknowledge(request: HttpRequest, identifier: str) -> HttpResponse:
    return _action(request, identifier, "acknowledge")


@csrf_exempt
@require_POST
def close(request: HttpRequest, identifier: str) -> HttpResponse:
    return _action(request, identifier, "close")
