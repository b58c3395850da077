"""Prometheus Alertmanager `webhook_config` receiver: one request, one group, one inbox row.

Alertmanager retries a notification only on 5xx, so shedding load answers 503 (a 429 would
drop the group), and every validation problem answers 4xx (retrying cannot fix it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import DataError, IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.formats import alertmanager
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.views.common import IngestError, check_rate, read_json

# JSON the parser accepts but a database refuses: \u0000 or a lone surrogate in a string, or NaN
# and Infinity (not JSON, yet Python reads them; SQLite's JSON check and PostgreSQL refuse them).
UNSTORABLE = (
    "The body holds values that cannot be stored (\\u0000, a lone surrogate, NaN or Infinity); remove them"
)
UNSTORABLE_ERRORS = (DataError, IntegrityError)  # the database's word, should a check miss one
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # an escaped NUL, not an escaped backslash


def require_storable(value: Any) -> None:
    """Refuse, as bad input, values every database would refuse: checked before the insert
    because a refused insert inside a caller's transaction would break that transaction."""
    try:
        # Lone surrogates ("\\ud800") fail the encode; NaN and Infinity fail the dump.
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode()
    except ValueError:
        raise IngestError(400, UNSTORABLE) from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise IngestError(400, UNSTORABLE)


def _error(status: int, message: str, *, errors: list[str] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, key: str) -> HttpResponse:
    integration = integration_for_key(key, type="alertmanager")
    if integration is None:
        return _error(404, "No enabled Alertmanager integration has this key; check the URL")
    try:
        body: Any = read_json(request)
        alerts = body.get("alerts") if isinstance(body, dict) else None
        cost = len(alerts) if isinstance(alerts, list) else 1
        check_rate(integration.key, per_second=integration.rate_limit_per_second, cost=cost, status=503)
        events = alertmanager.parse_group(body, config=integration.config)
        require_storable(body)
        inbox_accept(integration=integration, kind="alertmanager", payload=body)
    except IngestError as exc:
        response = _error(exc.status, exc.message)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    except EventError as exc:
        return _error(400, "The Alertmanager notification is invalid", errors=exc.errors)
    except UNSTORABLE_ERRORS:
        return _error(400, UNSTORABLE)
    return JsonResponse({"status": "accepted", "alerts": len(events)})
