"""Map domain errors raised below the HTML views to the right status and page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from watchkeeper.core.errors import RateLimited, WatchkeeperError
from watchkeeper.web import ops


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, WatchkeeperError):
            return None
        response = TemplateResponse(
            request,
            "web/error.html",
            {"status": exception.status, "message": exception.message},
            status=exception.status,
        )
        if isinstance(exception, RateLimited):
            response["Retry-After"] = str(exception.retry_after)
        return response.render()


class ProbeMiddleware:
    """Answer /healthz and /readyz before host validation and HTTPS redirects: load
    balancers probe by IP address over plain HTTP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path_info == "/healthz":
            return ops.healthz(request)
        if request.method == "GET" and request.path_info == "/readyz":
            return ops.readyz(request)
        return self.get_response(request)


# Everything the console and portal load is served from this origin (htmx and the CSS framework
# are vendored static files). Styles allow 'unsafe-inline' only because htmx injects its
# indicator <style> and the on-call bars are positioned with style attributes; scripts do not.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every HTML answer: client text shown to technicians (portal
    comments, alert payloads) can then neither run script nor load from other hosts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
