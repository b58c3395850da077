"""Heartbeat check-ins: `curl -fsS <url>` at the end of a cron job or a backup run.

GET and HEAD are accepted as well as POST because many schedulers and uptime checkers can only
fetch a URL (some only with HEAD); a check-in changes nothing but "last seen", so repeating it
is harmless. A HEAD check-in is answered with the status alone, as HEAD requires.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from watchkeeper.alerts.services.heartbeats import heartbeat_checkin
from watchkeeper.alerts.services.intake import integration_for_key
from watchkeeper.alerts.sources.heartbeat import parse as heartbeat
from watchkeeper.alerts.views.common import IngestError, check_rate, read_body


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def checkin(request: HttpRequest, key: str) -> HttpResponse:
    integration = integration_for_key(key, type="heartbeat")
    if integration is None:
        return JsonResponse(
            {"error": "No enabled heartbeat integration has this key; check the URL"}, status=404
        )
    try:
        check_rate(integration.key, per_second=integration.rate_limit_per_second)
        body = read_body(request) if request.method == "POST" else b""
    except IngestError as exc:
        response = JsonResponse({"error": exc.message}, status=exc.status)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    payload = heartbeat.checkin_payload(method=request.method or "GET", body=body)
    heartbeat_checkin(integration=integration, payload=payload)
    if request.method == "HEAD":
        return HttpResponse(status=202)
    return JsonResponse({"status": "ok"}, status=202)
