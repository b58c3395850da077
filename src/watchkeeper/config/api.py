"""The one NinjaAPI: mounts each app's router, maps errors to clear JSON and status codes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

import watchkeeper
from watchkeeper.accounts.api import router as accounts_router
from watchkeeper.accounts.auth import BearerToken
from watchkeeper.alerts.api import router as alerts_router
from watchkeeper.branding.api import router as branding_router
from watchkeeper.chat.api import router as chat_router
from watchkeeper.comms.api import router as comms_router
from watchkeeper.config.openapi import errors_documented
from watchkeeper.core.errors import RateLimited, WatchkeeperError
from watchkeeper.incidents.api import router as incidents_router
from watchkeeper.knowledge.api import router as knowledge_router
from watchkeeper.monitoring.api import router as monitoring_router
from watchkeeper.oncall.api import router as oncall_router
from watchkeeper.paging.api import router as paging_router
from watchkeeper.policy.api import router as policy_router
from watchkeeper.reviews.api import router as reviews_router
from watchkeeper.sla.api import router as sla_router
from watchkeeper.tenancy.api import router as tenancy_router


class WatchkeeperApi(NinjaAPI):
    """The document also names the error answers of every operation (`config/openapi.py`)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        errors_documented(schema)
        return schema


api = WatchkeeperApi(
    title="Watchkeeper API",
    version=watchkeeper.__version__,
    description="Incident management for MSPs. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `watchkeeper token create`).",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("", tenancy_router)
api.add_router("", accounts_router)
api.add_router("", policy_router)
api.add_router("", alerts_router)
api.add_router("", incidents_router)
api.add_router("", oncall_router)
api.add_router("", sla_router)
api.add_router("", paging_router)
api.add_router("", branding_router)
api.add_router("", chat_router)
api.add_router("", reviews_router)
api.add_router("", comms_router)
api.add_router("", monitoring_router)
api.add_router("", knowledge_router)


def api_not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Unknown API paths answer in the API's own shape, not the HTML 404 page."""
    return JsonResponse({"detail": f"No API operation at /api/v1/{rest}."}, status=404)


@api.exception_handler(WatchkeeperError)
def domain_error(request: HttpRequest, exc: WatchkeeperError) -> HttpResponse:
    body: dict[str, object] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    response = api.create_response(request, body, status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """400 with one readable line per problem (ninja's default is 422)."""
    problems = []
    for error in exc.errors:
        location = ".".join(
            str(part) for part in error.get("loc", ()) if part not in {"body", "payload", "query"}
        )
        problems.append({"field": location, "message": error.get("msg", "invalid")})
    summary = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems)
    return api.create_response(
        request, {"detail": f"Invalid request: {summary}", "errors": problems}, status=400
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Authentication required: send 'Authorization: Bearer <token>'."}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="watchkeeper"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """JSON in the API's shape, where Django would answer its HTML 400 page."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return api.create_response(
        request, {"detail": f"The body is larger than {limit // 1024} KB."}, status=413
    )
