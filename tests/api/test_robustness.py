"""Input the API must refuse with a 400 or 404, never a 500 and never a silent 200: numbers
past what the database holds, bodies that are not objects or not of the documented types,
unknown filter values, paths outside Latin-1, bodies past the size limit."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import override_settings

from watchkeeper.alerts.models import Integration
from watchkeeper.config.api import api as ninja_api
from watchkeeper.core.pagination import API_MAX_OFFSET
from watchkeeper.knowledge.services import article_create
from watchkeeper.paging.models import EscalationPolicy, ServiceEscalation
from watchkeeper.tenancy.models import Client

pytestmark = pytest.mark.django_db


def _paginated_paths(world: Any) -> list[str]:
    """Every list of the OpenAPI document, its path parameters filled with the owner's id (or,
    for a chat channel's posts a channel's, for an article's versions an article's)."""
    from watchkeeper.chat.models import ChatChannel

    channel = ChatChannel.objects.create(name="#noc", address_encrypted="", events=[])
    article = article_create(actor=world.owner, client=None, title="Robust")
    ids = {"channel_id": channel.pk, "article_id": article.pk}
    document = ninja_api.get_openapi_schema(path_prefix="/api/v1/")
    paths = []
    for path, operations in document["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        if any(parameter["name"] == "offset" for parameter in parameters):
            paths.append(re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), world.owner.pk)), path))
    return paths


def test_an_offset_past_what_a_database_holds_is_a_400_on_every_list(world: Any, api_as: Any) -> None:
    api = api_as(world.owner, ["read", "write", "admin"])
    paths = _paginated_paths(world)
    assert len(paths) >= 19
    for path in paths:
        for offset in (2**63, 10**30, API_MAX_OFFSET + 1):
            response = api.get(path, offset=offset)
            assert response.status_code == 400, (path, offset, response.content)
            assert (
                f"offset: Input should be less than or equal to {API_MAX_OFFSET}" in response.json()["detail"]
            )
        assert api.get(path, offset=API_MAX_OFFSET).status_code == 200, path


def test_a_count_past_its_column_is_a_400_naming_the_field(world: Any, api_as: Any) -> None:
    api = api_as(world.owner, ["read", "write", "admin"])
    body = {"name": "Huge", "slug": "huge", "seats": 2**64}
    response = api.post("/api/v1/clients", body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"field": "seats", "message": "Input should be less than or equal to 2147483647"}
    ]
    patched = api.patch(f"/api/v1/clients/{world.a.client.slug}", {"seats": 2**31})
    assert patched.status_code == 400
    assert not Client.objects.filter(slug="huge").exists()
    assert api.post("/api/v1/clients", {**body, "seats": 2**31 - 1}).status_code == 201


def test_ids_past_a_big_integer_are_a_400(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    assert api.get(f"/api/v1/services/{2**63}").status_code == 400
    assert api.get("/api/v1/alerts", incident=2**64).status_code == 400
    note = api.post(f"/api/v1/incidents/{world.a.incident.pk}/assign", {"owner": 2**70})
    assert note.status_code == 400 and note.json()["errors"][0]["field"] == "owner"


def test_a_body_that_is_not_an_object_changes_nothing(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    service = world.a.service
    policy = EscalationPolicy.objects.create(name="Database team", client=service.client)
    ServiceEscalation.objects.create(service=service, policy=policy)
    path = f"/api/v1/services/{service.pk}/escalation-policy"
    for body in ("false", "null", "0", '"x"', "[]"):
        response = api.http.put(path, body, content_type="application/json", headers=api.headers)
        assert response.status_code == 400, (body, response.content)
    assert ServiceEscalation.objects.get(service=service).policy == policy
    integration = world.a.integration
    for body in ("-75077", '"x"', "true", "[]"):
        path = f"/api/v1/integrations/{integration.pk}"
        response = api.http.patch(path, body, content_type="application/json", headers=api.headers)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["detail"] == "Invalid request: Input should be a JSON object"
    levels = [{"delay_minutes": 5, "targets": [False]}]
    nested = api.post("/api/v1/escalation-policies", {"name": "X", "levels": levels})
    assert nested.status_code == 400 and nested.json()["errors"][0]["field"] == "levels.0.targets.0"
    assert Integration.objects.get(pk=integration.pk).name == integration.name


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/clients/{client}", {"is_active": 0}, "is_active"),
        ("/api/v1/clients/{client}", {"seats": False}, "seats"),
        ("/api/v1/clients/{client}", {"seats": 1.5}, "seats"),
        ("/api/v1/clients/{client}", {"name": 5}, "name"),
        ("/api/v1/integrations/{integration}", {"is_enabled": "yes"}, "is_enabled"),
        ("/api/v1/maintenance-windows/{window}", {"starts_at": 0}, "starts_at"),
        ("/api/v1/maintenance-windows/{window}", {"starts_at": "0001-01-01T00:00:00+14:00"}, "starts_at"),
        ("/api/v1/maintenance-windows/{window}", {"ends_at": "2026-12-01T09:00:00"}, "ends_at"),
    ],
)
def test_a_value_of_another_json_type_or_out_of_range_is_a_400(
    world: Any, api_as: Any, path: str, body: dict[str, Any], field: str
) -> None:
    api = api_as(world.owner, ["read", "write", "admin"])
    window = api.post(
        "/api/v1/maintenance-windows",
        {"client": world.a.client.slug, "name": "Patching", "starts_at": "2026-12-01T09:00:00Z",
         "ends_at": "2026-12-01T10:00:00Z"},
    ).json()  # fmt: skip
    url = path.format(client=world.a.client.slug, integration=world.a.integration.pk, window=window["id"])
    response = api.patch(url, body)
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_handoff_time_is_local_and_a_start_day_a_string(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    layer = {"name": "Week", "starts_on": "2026-03-02", "handoff_time": "09:00", "members": [world.owner.pk]}
    assert api.post("/api/v1/schedules", {"name": "NOC", "layers": [layer]}).status_code == 201
    for change in ({"handoff_time": "09:00:00Z"}, {"handoff_time": 32400}, {"starts_on": 0}):
        response = api.post("/api/v1/schedules", {"name": "NOC 2", "layers": [{**layer, **change}]})
        assert response.status_code == 400, (change, response.content)
    created = api.post("/api/v1/schedules", {"name": "NOC 3", "layers": [layer]}).json()
    assert created["layers"][0]["handoff_time"] == "09:00:00"


def test_unknown_filter_values_are_a_400_naming_the_known_ones(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    priority = api.get("/api/v1/incidents", priority="false")
    assert priority.status_code == 400
    assert priority.json() == {"detail": "Unknown priority 'false'. Use one of: P1, P2, P3, P4, P5.",
                               "field": "priority"}  # fmt: skip
    assert api.get("/api/v1/incidents", priority="P1,P2").status_code == 200
    role = api.get("/api/v1/users", role="root")
    assert role.status_code == 400 and role.json()["field"] == "role"
    assert api.get("/api/v1/users", role="technician").status_code == 200
    report = api.get("/api/v1/reports/sla", client=world.a.client.slug, month="2026-11", format="xml")
    assert report.status_code == 400


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_past_the_limit_is_a_413_in_json(world: Any, api_as: Any) -> None:
    response = api_as(world.owner).post("/api/v1/incidents/1/notes", {"text": "x" * 2000})
    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than 1 KB."}


def _wsgi_get(path: str) -> tuple[str, bytes]:
    """GET through the WSGI application a server runs, the path as PEP 3333 carries it (the
    UTF-8 bytes, each as one Latin-1 character)."""
    from watchkeeper.config.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path.encode().decode("latin-1"), "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(), "wsgi.multithread": True, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip
    statuses: list[str] = []
    body = b"".join(application(environ, lambda status, headers, *exc: statuses.append(status)))
    return statuses[0], body


@pytest.mark.parametrize("path", ["/€", "/api/v1/€", "/incidents/€uro", "/v2/€"])
def test_a_path_outside_latin_1_is_a_404_not_a_500(path: str) -> None:
    status, body = _wsgi_get(path)
    assert status.startswith("404"), status
    assert body
