"""PagerDuty Events API v2, wire-compatible: a PagerDuty client only changes its base URL."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.formats import pagerduty
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.views.common import IngestError, check_rate, read_json


def _invalid(errors: list[str]) -> JsonResponse:
    return JsonResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors}, status=400
    )


def _refused(exc: IngestError) -> HttpResponse:
    if exc.status == 429:
        response = JsonResponse({"status": "throttle event", "message": exc.message}, status=429)
    elif exc.status == 400:
        return _invalid([exc.message])
    else:
        response = JsonResponse({"status": "error", "message": exc.message}, status=exc.status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _accept(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        body: Any = read_json(request)
        if not isinstance(body, dict):
            return _invalid(["the body must be a JSON object"])
        integration = integration_for_key(str(body.get("routing_key") or ""), type="pagerduty")
        if integration is None:
            return _invalid(["'routing_key' does not match an enabled integration"])
        check_rate(integration.key, per_second=integration.rate_limit_per_second)
        if kind == "pagerduty_change":
            pagerduty.parse_change(body)
            inbox_accept(integration=integration, kind=kind, payload=body)
            return JsonResponse({"status": "success", "message": "Change event processed"}, status=202)
        key = "" if body.get("dedup_key") else pagerduty.new_dedup_key()
        event = pagerduty.parse_event(body, dedup_key=key)
    except IngestError as exc:
        return _refused(exc)
    except EventError as exc:
        return _invalid(exc.errors)
    inbox_accept(integration=integration, kind=kind, payload=body, dedup_key=key)
    return JsonResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}, status=202
    )


@csrf_exempt
@require_POST
def enqueue(request: HttpRequest) -> HttpResponse:
    return _accept(request, "pagerduty")


@csrf_exempt
@require_POST
def change_enqueue(request: HttpRequest) -> HttpResponse:
    return _accept(request, "pagerduty_change")
