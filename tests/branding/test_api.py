"""GET/PUT /api/v1/settings/branding and the logo's upload and removal: MSP staff read; owners
and admins with the admin scope, on a token for every client, write; 413 for a logo too big."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.accounts.factories import UserFactory
from tests.branding.images import SVG, jpeg, padded_png, png
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.branding.models import Branding

pytestmark = pytest.mark.django_db

URL, LOGO = "/api/v1/settings/branding", "/api/v1/settings/branding/logo"
BODY = {
    "name": "Lighthouse Managed IT", "accent": "#0b5cad", "support_email": "help@lighthouse.example",
    "support_phone": "+44 20 7946 0100", "support_url": "https://help.lighthouse.example",
}  # fmt: skip


def _put(api: Any, body: Any) -> Any:
    return api.http.put(URL, body, content_type="application/json", headers=api.headers)


def _upload(api: Any, data: bytes, name: str = "logo.png", content_type: str = "image/png") -> Any:
    return api.http.post(
        LOGO, {"logo": SimpleUploadedFile(name, data, content_type=content_type)}, headers=api.headers
    )


@pytest.fixture
def owner_api(api_as: Any) -> Any:
    return api_as(UserFactory(role=Role.OWNER), scopes=["read", "write", "admin"])


def test_an_owner_sets_and_reads_the_brand(owner_api: Any, api_as: Any, world: Any) -> None:
    empty = owner_api.get(URL).json()
    assert empty["name"] == "" and empty["display_name"] == "Watchkeeper" and empty["logo"] is None
    assert empty["updated_at"] is None
    response = _put(owner_api, BODY)
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "Lighthouse Managed IT"
    assert AuditEntry.objects.get(action="branding.update").via == "api"
    # Any MSP staff may read it, a technician restricted to one client too.
    technician = api_as(world.a.technician)
    assert technician.get(URL).json()["support_url"] == "https://help.lighthouse.example"


def test_put_replaces_the_texts_and_a_field_left_out_is_cleared(owner_api: Any) -> None:
    _put(owner_api, BODY)
    assert _put(owner_api, {"name": "Lighthouse IT"}).json()["support_email"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "accent": "red"}, "accent"),
        ({**BODY, "support_url": "javascript:alert(1)"}, "support_url"),
        ({**BODY, "support_email": "nobody"}, "support_email"),
        ({**BODY, "name": 42}, "name"),
        ({**BODY, "name": "x" * 101}, "name"),
        ({"accent": "#000000"}, "name"),  # the name is required
    ],
)
def test_bad_input_is_400_naming_the_field(owner_api: Any, body: dict[str, Any], field: str) -> None:
    response = _put(owner_api, body)
    assert response.status_code == 400
    answer = response.json()
    assert answer.get("field") == field or field in {e["field"] for e in answer.get("errors", [])}
    assert not Branding.objects.exists()


@pytest.mark.parametrize("body", ["false", "[]", '"x"', "1"])
def test_a_body_that_is_not_an_object_is_400(owner_api: Any, body: str) -> None:
    response = owner_api.http.put(URL, body, content_type="application/json", headers=owner_api.headers)
    assert response.status_code == 400 and not Branding.objects.exists()


def test_upload_replace_and_delete_the_logo(owner_api: Any, client: Any) -> None:
    response = _upload(owner_api, png(200, 50))
    assert response.status_code == 200, response.content
    logo = response.json()["logo"]
    assert (logo["content_type"], logo["width"], logo["height"]) == ("image/png", 200, 50)
    assert client.get(logo["url"]).status_code == 200
    # The file name and the declared type are ignored: the bytes say JPEG.
    response = _upload(owner_api, jpeg(), name="logo.png", content_type="image/png")
    assert response.json()["logo"]["content_type"] == "image/jpeg"
    assert client.get(logo["url"]).status_code == 404  # the old URL
    response = owner_api.http.delete(LOGO, headers=owner_api.headers)
    assert response.status_code == 200 and response.json()["logo"] is None
    assert owner_api.http.delete(LOGO, headers=owner_api.headers).status_code == 200  # nothing to do


def test_a_logo_over_512_kb_is_413(owner_api: Any) -> None:
    response = _upload(owner_api, padded_png(512 * 1024 + 1))
    assert response.status_code == 413
    assert "512 KB" in response.json()["detail"]
    assert not Branding.objects.exclude(logo_hash="").exists()


def test_an_svg_logo_is_400(owner_api: Any) -> None:
    response = _upload(owner_api, SVG, name="logo.svg", content_type="image/svg+xml")
    assert response.status_code == 400 and "SVG" in response.json()["detail"]


def test_an_upload_without_a_file_is_400(owner_api: Any) -> None:
    assert owner_api.http.post(LOGO, {}, headers=owner_api.headers).status_code == 400


def _writes(api: Any) -> list[int]:
    return [
        _put(api, BODY).status_code,
        _upload(api, png()).status_code,
        api.http.delete(LOGO, headers=api.headers).status_code,
    ]


def test_writes_need_the_admin_scope(api_as: Any) -> None:
    owner = UserFactory(role=Role.OWNER)
    assert _writes(api_as(owner, scopes=["read", "write"])) == [403, 403, 403]
    assert not Branding.objects.exists()


def test_a_token_restricted_to_one_client_never_writes_the_shared_brand(api_as: Any, world: Any) -> None:
    owner = UserFactory(role=Role.OWNER)
    api = api_as(owner, scopes=["read", "write", "admin"], client=world.a.client)
    assert _writes(api) == [403, 403, 403]
    assert api.get(URL).status_code == 200  # reading is fine: it serves that client too
    assert not Branding.objects.exists()


@pytest.mark.parametrize(
    "who", ["manager", "restricted_manager", "technician", "client_admin", "client_user"]
)
def test_nobody_else_writes(api_as: Any, world: Any, who: str) -> None:
    users = {
        "manager": lambda: UserFactory(role=Role.MANAGER, all_clients=True),
        "restricted_manager": lambda: _restricted_manager(world),
        "technician": lambda: world.a.technician,
        "client_admin": lambda: world.a.client_admin,
        "client_user": lambda: world.a.client_user,
    }
    api = api_as(users[who](), scopes=["read", "write", "admin"])
    assert _writes(api) == [403, 403, 403]
    assert not Branding.objects.exists()


def _restricted_manager(world: Any) -> Any:
    manager = UserFactory(role=Role.MANAGER)
    manager.assigned_clients.add(world.a.client)
    return manager


def test_client_users_do_not_read_it_through_the_api(api_as: Any, world: Any) -> None:
    assert api_as(world.a.client_user).get(URL).status_code == 403
    assert api_as(world.a.client_admin).get(URL).status_code == 403


def test_the_document_names_the_schemas_and_the_413(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"BrandingIn", "BrandingOut", "BrandingLogoOut"} <= set(schemas)
    assert schemas["BrandingIn"]["examples"][0]["name"] == "Lighthouse Managed IT"
    upload = document["paths"][LOGO]["post"]
    assert "413" in upload["responses"] and "multipart/form-data" in upload["requestBody"]["content"]
