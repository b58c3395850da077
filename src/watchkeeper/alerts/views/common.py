"""What every ingest endpoint shares: body limits, JSON reading, rate limiting, and the fast
path that brings machine-to-machine requests straight to their view."""

from __future__ import annotations

import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.db import DataError, IntegrityError, close_old_connections, connection
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import Resolver404, get_resolver

from watchkeeper.alerts.backlog import inbox_shed_retry_after
from watchkeeper.alerts.ratelimit import default_rate, limiter
from watchkeeper.core.errors import WatchkeeperError

BODY_LIMIT = 512 * 1024
log = logging.getLogger("watchkeeper.alerts")


class IngestError(Exception):
    """A refusal; each endpoint renders it in its own format's error shape."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def read_body(request: HttpRequest) -> bytes:
    return body_check(request.META.get("CONTENT_LENGTH"), request.read)


BodyReader = Callable[[int], bytes]


def body_check(content_length: str | None, read: BodyReader) -> bytes:
    """The body, read through `read`, or an IngestError (400, 413) when it is too large."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        raise IngestError(400, "Content-Length is not a number") from None
    if declared > BODY_LIMIT:
        raise IngestError(413, f"The body is larger than {BODY_LIMIT // 1024} KB")
    return read(declared) if declared else b""


def read_json(request: HttpRequest) -> Any:
    """The body as JSON that every database can store, or an IngestError (400 or 413)."""
    return json_parse(read_body(request))


def json_parse(body: bytes) -> Any:
    if not body.strip():
        raise IngestError(400, "The body is empty; send a JSON object")
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(400, f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise IngestError(400, "The body is nested too deeply") from None
    if b"\\u" in body:  # only an escape can smuggle in a NUL or a lone surrogate
        require_storable(value)
    return value


def stored_text(body: bytes) -> str | None:
    """The body as the JSON text to store, when `json_parse` accepted it and it can be stored
    as it came (an object in UTF-8, no byte-order mark); otherwise None (serialise the value)."""
    if body.lstrip()[:1] != b"{":
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


UNSTORABLE_TEXT = (
    "The body holds values that cannot be stored (\\u0000, a lone surrogate, NaN or Infinity); remove them"
)
UNSTORABLE_ERRORS = (DataError, IntegrityError)  # the database's word, should a check miss one
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # an escaped NUL, not an escaped backslash


def _no_constant(name: str) -> Any:
    raise IngestError(400, f"The body is not valid JSON: {name} is not a number JSON allows")


def require_storable(value: Any) -> None:
    """Refuse, as bad input, values every database refuses, before the insert does (a 500)."""
    try:
        # Lone surrogates fail the encode; NaN and Infinity (in values built after parsing) the dump.
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode()
    except ValueError:
        raise IngestError(400, UNSTORABLE_TEXT) from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise IngestError(400, UNSTORABLE_TEXT)


def json_error(status: int, message: str, *, errors: list[str] | None = None) -> JsonResponse:
    """The error shape of the keyed endpoints (Alertmanager, webhook): {"error", "errors"?}."""
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def check_rate(key: str, *, per_second: int, cost: int = 1, status: int = 429) -> None:
    """Refuse an event that the integration's rate or the installation's inbox backlog cannot
    take now: 429 (or `status`) past the rate, 503 past the backlog threshold, both with
    Retry-After. Every HTTP source asks before it accepts."""
    retry_after = inbox_shed_retry_after()
    if retry_after is not None:
        log.warning("inbox backlog over WATCHKEEPER_INBOX_SHED_DEPTH: an event was refused with 503")
        raise IngestError(
            503, "The inbox is behind; this event was not accepted, retry later", retry_after=retry_after
        )
    rate = float(per_second or default_rate())
    wait = limiter.allow(key, rate=rate, cost=min(cost, rate))
    if wait > 0:
        raise IngestError(
            status, "Too many events for this integration key; retry later", retry_after=math.ceil(wait)
        )


# --- the fast path ------------------------------------------------------------------------------

INGEST_URLCONF = "watchkeeper.alerts.urls_ingest"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Answer:
    """An ingest endpoint's answer, before either adapter turns it into HTTP."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


# Serves POST to one path on the fast path as `handler(content_length, read)`, below Django's
# request and response objects (measured: they cost more than the rest of the request). A
# source's urls.py lists its own in `raw_routes`; the ingest URL configuration gathers them.
RawHandler = Callable[[str | None, BodyReader], Answer]


def ingest_fast_path(app: WSGIHandler) -> WSGIApp:
    """Wrap Django's WSGI handler so that ingest requests skip the middleware.

    The middleware serves people with browsers (sessions, CSRF, sign-in, two-factor, messages,
    static files, clickjacking headers) and costs several times what an ingest view does.
    Ingest endpoints are csrf-exempt, sessionless and authenticated by their key, so for them
    it does nothing but take time. The fast path keeps what does matter: the same URL patterns
    and views, the host check and the HTTPS redirect (a request that needs either goes through
    the full stack), the connection upkeep of Django's request signals, and its exception
    handling. The busiest endpoints (`raw_routes`) skip Django's request and response too."""
    resolver = get_resolver(INGEST_URLCONF)
    raw_routes: dict[str, RawHandler] = import_module(INGEST_URLCONF).raw_routes

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = raw_routes.get(environ.get("PATH_INFO", ""))
        if raw is not None and environ.get("REQUEST_METHOD") == "POST" and _plain(environ):
            return _raw_respond(raw, environ, start_response)
        # On a copy: WSGIRequest writes the decoded path back into the environ it is given (as
        # META), and the full stack, handed that environ, would read it again as PEP 3333 text
        # and fail on any path outside Latin-1 (`/%E2%82%AC`: a 500 with an empty body).
        request = WSGIRequest(dict(environ))
        try:
            match = resolver.resolve(request.path_info)
            request.get_host()
        except (Resolver404, DisallowedHost):
            return app(environ, start_response)
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return app(environ, start_response)
        request.resolver_match = match
        response = _respond(request, match.func, match.args, match.kwargs)
        _connection_upkeep()
        response.setdefault("X-Content-Type-Options", "nosniff")
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response

    return application


def _connection_upkeep() -> None:
    if connection.connection is not None:
        # What request_finished would do, for the few requests that used the database in
        # this thread (a cache miss, a heartbeat): the signals cost more than the view.
        close_old_connections()


# What decides the host check and the HTTPS redirect, and whether a request with these
# values passes both (decided once by Django's own request, then remembered).
_HOST_KEYS = ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "SERVER_NAME", "SERVER_PORT",
              "wsgi.url_scheme", "HTTP_X_FORWARDED_PROTO")  # fmt: skip
_plain_hosts: dict[tuple[Any, ...], bool] = {}


def _plain(environ: dict[str, Any]) -> bool:
    """Whether Django would serve this request as it is: a valid host, and no HTTPS redirect."""
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    key = (*(environ.get(name) for name in _HOST_KEYS), proxy_header and environ.get(proxy_header[0]))
    plain = _plain_hosts.get(key)
    if plain is None:
        request = WSGIRequest({**environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"})
        try:
            request.get_host()
        except DisallowedHost:
            plain = False
        else:
            plain = not (settings.SECURE_SSL_REDIRECT and not request.is_secure())
        if len(_plain_hosts) > 1000:  # many Host headers: someone probing; keep it bounded
            _plain_hosts.clear()
        _plain_hosts[key] = plain
    return plain


def _raw_respond(
    handler: RawHandler, environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    try:
        answer = handler(environ.get("CONTENT_LENGTH"), environ["wsgi.input"].read)
    except Exception:
        # Not the sender's fault (the database is away, say): a 5xx tells its client to retry.
        log.exception("ingest failed on %s", environ.get("PATH_INFO"))
        answer = Answer(503, {"status": "error", "message": "The event could not be stored; retry"},
                        {"Retry-After": "1"})  # fmt: skip
    finally:
        _connection_upkeep()
    body = json.dumps(answer.body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
               ("X-Content-Type-Options", "nosniff"), *answer.headers.items()]  # fmt: skip
    start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", headers)
    return [body]


def _respond(
    request: HttpRequest, view: Callable[..., HttpResponseBase], args: Any, kwargs: Any
) -> HttpResponseBase:
    try:
        return view(request, *args, **kwargs)
    except WatchkeeperError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    except Exception as exc:
        return response_for_exception(request, exc)
