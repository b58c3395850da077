"""What every ingest endpoint shares: body limits, JSON reading, rate limiting."""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest

from watchkeeper.alerts.ratelimit import default_rate, limiter

BODY_LIMIT = 512 * 1024


class IngestError(Exception):
    """A refusal; each endpoint renders it in its own format's error shape."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def read_body(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise IngestError(400, "Content-Length is not a number") from None
    if declared > BODY_LIMIT:
        raise IngestError(413, f"The body is larger than {BODY_LIMIT // 1024} KB")
    body = request.read(BODY_LIMIT + 1)
    if len(body) > BODY_LIMIT:
        raise IngestError(413, f"The body is larger than {BODY_LIMIT // 1024} KB")
    return body


def read_json(request: HttpRequest) -> Any:
    body = read_body(request)
    if not body.strip():
        raise IngestError(400, "The body is empty; send a JSON object")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(400, f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise IngestError(400, "The body is nested too deeply") from None


def check_rate(key: str, *, per_second: int, cost: int = 1, status: int = 429) -> None:
    rate = float(per_second or default_rate())
    wait = limiter.allow(key, rate=rate, cost=min(cost, rate))
    if wait > 0:
        raise IngestError(
            status, "Too many events for this integration key; retry later", retry_after=math.ceil(wait)
        )
