"""Prometheus Alertmanager `webhook_config` receiver: one request, one group, one inbox row.

Alertmanager retries a notification only on 5xx, so shedding load answers 503 (a 429 would
drop the group), and every validation problem answers 4xx (retrying cannot fix it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.sources.alertmanager import parse as alertmanager
from watchkeeper.alerts.views.common import (
    UNSTORABLE_ERRORS,
    UNSTORABLE_TEXT,
    IngestError,
    check_rate,
    json_error,
    json_parse,
    read_body,
    stored_text,
)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, key: str) -> HttpResponse:
    integration = integration_for_key(key, type="alertmanager")
    if integration is None:
        return json_error(404, "No enabled Alertmanager integration has this key; check the URL")
    try:
        raw = read_body(request)
        body: Any = json_parse(raw)
        alerts = body.get("alerts") if isinstance(body, dict) else None
        cost = len(alerts) if isinstance(alerts, list) else 1
        check_rate(integration.key, per_second=integration.rate_limit_per_second, cost=cost, status=503)
        events = alertmanager.parse_group(body, config=integration.config)
        text = stored_text(raw)
        inbox_accept(integration=integration, kind="alertmanager", payload=body, payload_json=text)
    except IngestError as exc:
        response = json_error(exc.status, exc.message)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    except EventError as exc:
        return json_error(400, "The Alertmanager notification is invalid", errors=exc.errors)
    except UNSTORABLE_ERRORS:
        return json_error(400, UNSTORABLE_TEXT)
    return JsonResponse({"status": "accepted", "alerts": len(events)})
