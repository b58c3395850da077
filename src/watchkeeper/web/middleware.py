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
