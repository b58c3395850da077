"""Opsgenie Alert API subset, wire-compatible for create, acknowledge, close, the alert updates
(notes, tags, details, priority, assign), reads (get, list, count, notes) and request status.

Answers and errors take Opsgenie's shape ({"message", "took", "requestId"}), with its codes:
401 for a missing or unknown GenieKey, 404 for an alert the key's client does not have (or an
unknown endpoint), 405 for a method a path does not take, 422 for invalid fields and for the
Opsgenie operations this server does not offer, 429 when rate limited. Writes are stored in the
inbox and answered 202; reads are answered from the database.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.selectors import alert_for_identifier, inbox_request_status
from watchkeeper.alerts.services.intake import inbox_accept, integration_for_key
from watchkeeper.alerts.sources.opsgenie import changes, reads
from watchkeeper.alerts.sources.opsgenie import parse as opsgenie
from watchkeeper.alerts.views.common import (
    UNSTORABLE_ERRORS,
    UNSTORABLE_TEXT,
    IngestError,
    check_rate,
    read_body,
    read_json,
    require_storable,
)

KINDS = {"acknowledge": "opsgenie_ack", "close": "opsgenie_close"}


def _answer(status: int, started: float, request_id: str = "", **fields: Any) -> JsonResponse:
    request_id = request_id or str(uuid.uuid4())
    body = {**fields, "took": round(time.monotonic() - started, 3), "requestId": request_id}
    return JsonResponse(body, status=status)


def _integration(request: HttpRequest) -> Integration:
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "geniekey" or not key.strip():
        raise IngestError(401, "Send the integration key as 'Authorization: GenieKey <key>'")
    integration = integration_for_key(key.strip(), type="opsgenie")
    if integration is None:
        raise IngestError(401, "The GenieKey does not match an enabled Opsgenie integration")
    check_rate(integration.key, per_second=integration.rate_limit_per_second)
    return integration


def _refused(exc: IngestError, started: float) -> JsonResponse:
    response = _answer(exc.status, started, message=exc.message)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


Handler = Callable[[HttpRequest, float], HttpResponse]


def _by_method(request: HttpRequest, handlers: dict[str, Handler]) -> HttpResponse:
    """The handler of the request's method, or Opsgenie's 405 naming the methods the path takes."""
    started = time.monotonic()
    handler = handlers.get(request.method or "")
    if handler is None:
        response = _answer(405, started, message=f"Use {' or '.join(handlers)} on this path")
        response["Allow"] = ", ".join(handlers)
        return response
    return handler(request, started)


@csrf_exempt
def alerts(request: HttpRequest) -> HttpResponse:
    """`/v2/alerts`: POST creates an alert, GET lists them."""
    return _by_method(request, {"POST": _create, "GET": _list})


@dataclass(frozen=True)
class _Write:
    """One write, read and checked, ready for the inbox; `answer` adds fields to the 202."""

    integration: Integration
    kind: str
    payload: Any
    dedup_key: str = ""
    answer: dict[str, Any] = field(default_factory=dict)


def _accept(started: float, prepare: Callable[[], _Write]) -> HttpResponse:
    """Store one write for the engine and answer as Opsgenie does: 202 with the request's id (its
    status at /v2/alerts/requests/<id>), or Opsgenie's error shape with its code."""
    try:
        write = prepare()
        request_id = str(uuid.uuid4())
        inbox_accept(
            integration=write.integration, kind=write.kind, payload=write.payload,
            dedup_key=write.dedup_key, request_id=request_id,
        )  # fmt: skip
    except IngestError as exc:
        return _refused(exc, started)
    except EventError as exc:
        return _answer(422, started, message="; ".join(exc.errors))
    except UNSTORABLE_ERRORS:
        return _answer(400, started, message=UNSTORABLE_TEXT)
    return _answer(202, started, request_id, result="Request will be processed", **write.answer)


def _create(request: HttpRequest, started: float) -> HttpResponse:
    def prepare() -> _Write:
        integration = _integration(request)
        body: Any = read_json(request)
        has_alias = isinstance(body, dict) and bool(body.get("alias"))
        alias = "" if has_alias else opsgenie.new_alias()
        event = opsgenie.parse_create(body, alias=alias)
        return _Write(integration, "opsgenie", body, dedup_key=alias, answer={"alias": event.dedup_key})

    return _accept(started, prepare)


def _action(request: HttpRequest, identifier: str, action: str, started: float) -> HttpResponse:
    def prepare() -> _Write:
        integration = _integration(request)
        # Opsgenie clients often send no body at all for acknowledge and close.
        body = _optional_json(read_body(request))
        payload = opsgenie.parse_action_request(
            identifier=identifier, identifier_type=request.GET.get("identifierType", "id"), body=body
        )
        require_storable(payload)
        return _Write(integration, KINDS[action], payload)

    return _accept(started, prepare)


@csrf_exempt
def request_status(request: HttpRequest, request_id: str) -> HttpResponse:
    """`GET /v2/alerts/requests/{requestId}`: how an earlier write went.
    404 (as Opsgenie answers) until the engine has processed it."""
    return _by_method(
        request, {"GET": lambda request, started: _request_status(request, request_id, started)}
    )


def _request_status(request: HttpRequest, request_id: str, started: float) -> HttpResponse:
    try:
        integration = _integration(request)
    except IngestError as exc:
        return _refused(exc, started)
    data = inbox_request_status(integration=integration, request_id=request_id[:36])
    if data is None:
        return _answer(404, started, message="Request not found. It might not be processed, yet.")
    return _answer(200, started, data=data)


def _optional_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(400, f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise IngestError(400, "The body is nested too deeply") from None


@csrf_exempt
def acknowledge(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(
        request, {"POST": lambda request, started: _action(request, identifier, "acknowledge", started)}
    )


@csrf_exempt
def close(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(
        request, {"POST": lambda request, started: _action(request, identifier, "close", started)}
    )


# --- reads ---------------------------------------------------------------------------------

NOT_FOUND = "Alert does not exist"


def _ints(request: HttpRequest, **defaults: tuple[int, int]) -> dict[str, int]:
    """Integer query parameters with (default, maximum); IngestError 422 naming a bad one."""
    values = {}
    for name, (default, most) in defaults.items():
        raw = request.GET.get(name, "")
        if raw and not (raw.isascii() and raw.isdigit()):
            raise IngestError(422, f"'{name}' must be a whole number")
        values[name] = min(int(raw), most) if raw else default
    return values


def _list(request: HttpRequest, started: float) -> HttpResponse:
    try:
        integration = _integration(request)
        if request.GET.get("searchIdentifier"):
            raise IngestError(422, "Saved searches are not supported by this server; send a 'query'")
        numbers = _ints(request, offset=(0, 20000), limit=(20, 100))
        found = reads.alert_search(
            Alert.objects.filter(client_id=integration.client_id), request.GET.get("query", "")
        )
        rows, more = reads.alert_page(
            found,
            sort=request.GET.get("sort", "createdAt"),
            order=request.GET.get("order", "desc"),
            **numbers,
        )
    except IngestError as exc:
        return _refused(exc, started)
    except EventError as exc:
        return _answer(422, started, message="; ".join(exc.errors))
    paging = {"first": _page_url(request, 0)}
    if more:
        paging["next"] = _page_url(request, numbers["offset"] + numbers["limit"])
    return _answer(200, started, data=[reads.alert_data(alert, full=False) for alert in rows], paging=paging)


def _page_url(request: HttpRequest, offset: int) -> str:
    query = request.GET.copy()
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@csrf_exempt
def count(request: HttpRequest) -> HttpResponse:
    """`GET /v2/alerts/count?query=…`."""
    return _by_method(request, {"GET": _count})


def _count(request: HttpRequest, started: float) -> HttpResponse:
    try:
        integration = _integration(request)
        found = reads.alert_search(
            Alert.objects.filter(client_id=integration.client_id), request.GET.get("query", "")
        )
    except IngestError as exc:
        return _refused(exc, started)
    except EventError as exc:
        return _answer(422, started, message="; ".join(exc.errors))
    return _answer(200, started, data={"count": found.count()})


def _alert_named(request: HttpRequest, identifier: str, type_param: str = "identifierType") -> Alert:
    """The alert the path names, of the key's client; IngestError 404 (Opsgenie's answer) when
    the client has no such alert, whoever else may have one."""
    integration = _integration(request)
    identifier_type = request.GET.get(type_param, "id")
    if identifier_type not in changes.IDENTIFIER_TYPES:
        raise IngestError(422, "'identifierType' must be 'id', 'tiny' or 'alias'")
    alert = alert_for_identifier(
        integration=integration, identifier=identifier, identifier_type=identifier_type
    )
    if alert is None:
        raise IngestError(404, NOT_FOUND)
    return alert


@csrf_exempt
def alert(request: HttpRequest, identifier: str) -> HttpResponse:
    """`GET /v2/alerts/{identifier}`; deleting an alert is Opsgenie's, not offered here."""
    return _by_method(
        request,
        {
            "GET": lambda request, started: _alert_get(request, identifier, started),
            "DELETE": lambda request, started: _refuse(request, UNSUPPORTED, identifier),
        },
    )


def _alert_get(request: HttpRequest, identifier: str, started: float) -> HttpResponse:
    try:
        found = _alert_named(request, identifier)
    except IngestError as exc:
        return _refused(exc, started)
    return _answer(200, started, data=reads.alert_data(found, full=True))


def _notes_list(request: HttpRequest, identifier: str, started: float) -> HttpResponse:
    try:
        found = _alert_named(request, identifier)
        numbers = _ints(request, offset=(0, 2**62), limit=(20, 100))
        order = request.GET.get("order", "desc")
        if order not in ("asc", "desc"):
            raise IngestError(422, "'order' must be asc or desc")
    except IngestError as exc:
        return _refused(exc, started)
    notes, more = reads.alert_notes(found, after=numbers["offset"], order=order, limit=numbers["limit"])
    paging = {"first": _page_url(request, 0)}
    if more:
        paging["next"] = _page_url(request, int(notes[-1]["offset"]))
    return _answer(200, started, data=notes, paging=paging)


# --- updates -------------------------------------------------------------------------------

UNSUPPORTED = (
    "This Opsgenie operation is not supported by this server (Watchkeeper). Supported: create, get, "
    "list, count, acknowledge, close, notes, tags, details, priority, assign and request status"
)
ESCALATE = (
    "Escalating to an Opsgenie escalation is not supported: Watchkeeper pages through the escalation "
    "policy of the alert's service; escalate the incident in Watchkeeper's console or API"
)


def _change(request: HttpRequest, identifier: str, operation: str, started: float) -> HttpResponse:
    def prepare() -> _Write:
        integration = _integration(request)
        identifier_type = request.GET.get("identifierType", "id")
        if identifier_type != "alias":
            _alert_named(request, identifier)  # an id must name an alert of the key's client
        body = request.GET.dict() if request.method == "DELETE" else _optional_json(read_body(request))
        payload = changes.parse_change_request(
            operation=operation, identifier=identifier, identifier_type=identifier_type, body=body
        )
        require_storable(payload)
        return _Write(integration, changes.KINDS[operation], payload)

    return _accept(started, prepare)


def _write(identifier: str, operation: str) -> Handler:
    def handler(request: HttpRequest, started: float) -> HttpResponse:
        return _change(request, identifier, operation, started)

    return handler


def _writes(identifier: str, **operations: str) -> dict[str, Handler]:
    return {method: _write(identifier, operation) for method, operation in operations.items()}


@csrf_exempt
def notes(request: HttpRequest, identifier: str) -> HttpResponse:
    handlers = _writes(identifier, POST="note")
    handlers["GET"] = lambda request, started: _notes_list(request, identifier, started)
    return _by_method(request, handlers)


@csrf_exempt
def tags(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(request, _writes(identifier, POST="tags_add", DELETE="tags_remove"))


@csrf_exempt
def details(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(request, _writes(identifier, POST="details_add", DELETE="details_remove"))


@csrf_exempt
def priority(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(request, _writes(identifier, PUT="priority"))


@csrf_exempt
def assign(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(request, _writes(identifier, POST="assign"))


def _refuse(request: HttpRequest, message: str, identifier: str | None) -> HttpResponse:
    """422 for an operation this server does not offer, after the checks every call gets: the
    key (401), and the alert, when the path names one (404)."""
    started = time.monotonic()
    try:
        if identifier is None:
            _integration(request)
        else:
            _alert_named(request, identifier)
    except IngestError as exc:
        return _refused(exc, started)
    return _answer(422, started, message=message)


@csrf_exempt
def escalate(request: HttpRequest, identifier: str) -> HttpResponse:
    return _by_method(request, {"POST": lambda request, started: _refuse(request, ESCALATE, identifier)})


@csrf_exempt
def unsupported(request: HttpRequest, rest: str | None = None, operation: str = "") -> HttpResponse:
    """The rest of Opsgenie's alert API (snooze, attachments, saved searches …): 422 naming what
    is supported, so a client reports it instead of failing to read an HTML page."""
    return _refuse(request, UNSUPPORTED, rest)


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /v2/: Opsgenie's 404, in its JSON shape."""
    return _answer(404, time.monotonic(), message="Could not find the requested resource on this server")
