"""The address a request came from, as far as the operator's proxies vouch for it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; behind N trusted proxies (`WATCHKEEPER_TRUSTED_PROXIES`), the Nth
    address from the right of X-Forwarded-For (addresses further left are whatever the client
    claimed)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None
