"""Generic JSON webhook: the integration's templates render at ingest, the inbox keeps the result."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.sources.webhook import parse as webhook
from watchkeeper.alerts.views.common import (
    UNSTORABLE_ERRORS,
    UNSTORABLE_TEXT,
    IngestError,
    check_rate,
    json_error,
    read_json,
    require_storable,
)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, key: str) -> HttpResponse:
    integration = integration_for_key(key, type="webhook")
    if integration is None:
        return json_error(404, "No enabled webhook integration has this key; check the URL")
    try:
        check_rate(integration.key, per_second=integration.rate_limit_per_second)
        body: Any = read_json(request)
        stored = webhook.inbox_payload(integration.config, body)
        require_storable(stored)
        inbox_accept(integration=integration, kind="webhook", payload=stored)
    except IngestError as exc:
        response = json_error(exc.status, exc.message)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    except EventError as exc:
        return json_error(400, "The integration's templates could not render this payload", errors=exc.errors)
    except UNSTORABLE_ERRORS:
        return json_error(400, UNSTORABLE_TEXT)
    event = stored["event"]
    return JsonResponse(
        {"status": "accepted", "dedup_key": event["dedup_key"], "action": event["action"]}, status=202
    )
