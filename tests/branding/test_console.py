"""The branding page: owners and admins only, audited, a bad field answered 400 beside it; the
logo uploaded through it, checked by its bytes, and served at a cacheable, content-hashed URL."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.accounts.factories import UserFactory
from tests.branding.images import GIF, HTML, SVG, jpeg, padded_png, png, png_claiming
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.branding.models import Branding
from watchkeeper.branding.selectors import brand_current

pytestmark = pytest.mark.django_db

URL, UPLOAD, REMOVE = "/settings/branding/", "/settings/branding/logo", "/settings/branding/logo/remove"
FORM = {
    "name": "Lighthouse Managed IT", "accent": "#0B5CAD", "support_email": "help@lighthouse.example",
    "support_phone": "+44 20 7946 0100", "support_url": "https://help.lighthouse.example",
}  # fmt: skip


@pytest.fixture
def owner(browser_as: Any) -> Any:
    return browser_as(UserFactory(role=Role.OWNER, email="owner@msp.example"))


def _upload(http: Any, data: bytes, name: str = "logo.png", content_type: str = "image/png") -> Any:
    return http.post(UPLOAD, {"logo": SimpleUploadedFile(name, data, content_type=content_type)})


def test_saving_the_brand_is_audited_and_shown_back(owner: Any) -> None:
    assert "No logo: clients see your name alone." in owner.get(URL).content.decode()
    assert owner.post(URL, FORM).status_code == 302
    row = Branding.objects.get()
    assert (row.name, row.accent, row.support_url) == (
        "Lighthouse Managed IT", "#0b5cad", "https://help.lighthouse.example",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="branding.update")
    assert entry.actor_label == "owner@msp.example"
    assert entry.before["name"] == "" and entry.after["name"] == "Lighthouse Managed IT"
    page = owner.get(URL).content.decode()
    assert 'value="Lighthouse Managed IT"' in page and "Last changed by owner@msp.example" in page


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"accent": "blue"}, "accent", "is not a colour"),
        ({"accent": "#12345"}, "accent", "is not a colour"),
        ({"accent": "#1234567;}body{x"}, "accent", "is not a colour"),
        ({"support_email": "help"}, "support_email", "is not an e-mail address"),
        ({"support_phone": "call us"}, "support_phone", "A phone number has digits"),
        ({"support_url": "javascript:alert(1)"}, "support_url", "starts with https://"),
        ({"support_url": "help.example"}, "support_url", "starts with https://"),
        ({"name": "Two\nlines"}, "name", "must be on one line"),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
    ],
)
def test_a_bad_field_answers_400_beside_the_field(
    owner: Any, change: dict[str, str], field: str, words: str
) -> None:
    response = owner.post(URL, {**FORM, **change})
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page and 'aria-invalid="true"' in page
    assert not Branding.objects.filter(name="Lighthouse Managed IT").exists()  # nothing saved
    assert not AuditEntry.objects.filter(action="branding.update").exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.TECHNICIAN, Role.CLIENT_ADMIN, Role.CLIENT_USER])
def test_only_owners_and_admins_reach_the_page(browser_as: Any, world: Any, role: str) -> None:
    client = world.a.client if role in (Role.CLIENT_ADMIN, Role.CLIENT_USER) else None
    user = UserFactory(role=role, client=client, all_clients=role == Role.MANAGER)
    http = browser_as(user)
    assert http.get(URL).status_code == 403
    assert http.post(URL, FORM).status_code == 403
    assert _upload(http, png()).status_code == 403
    assert http.post(REMOVE).status_code == 403
    assert not Branding.objects.exists()
    assert "/settings/branding/" not in http.get("/accounts/").content.decode()  # not in the menu


def test_an_admin_may_and_sees_it_in_the_menu(browser_as: Any) -> None:
    http = browser_as(UserFactory(role=Role.ADMIN))
    assert 'href="/settings/branding/"' in http.get(URL).content.decode()
    assert http.post(URL, FORM).status_code == 302


def test_a_png_logo_is_stored_and_served_with_cache_headers(owner: Any, client: Any) -> None:
    data = png(120, 40)
    assert _upload(owner, data).status_code == 302
    brand = brand_current()
    assert brand.logo_type == "image/png" and (brand.logo_width, brand.logo_height) == (120, 40)
    url = f"/settings/branding/logo/{brand.logo_file}"
    assert url in owner.get(URL).content.decode()
    response = client.get(url)  # anonymous: the sign-in page shows it
    assert response.status_code == 200 and response.content == data
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    assert response["ETag"] == f'"{brand.logo_hash}"'
    again = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert AuditEntry.objects.get(action="branding.logo_set").after["logo"].startswith("image/png 120×40")


def test_a_jpeg_logo_is_served_as_jpeg_at_a_new_url(owner: Any, client: Any) -> None:
    _upload(owner, png())
    old = brand_current().logo_file
    assert _upload(owner, jpeg(), name="logo.jpg", content_type="image/jpeg").status_code == 302
    new = brand_current().logo_file
    assert new.endswith(".jpg") and new != old
    assert client.get(f"/settings/branding/logo/{new}")["Content-Type"] == "image/jpeg"
    assert client.get(f"/settings/branding/logo/{old}").status_code == 404  # replaced
    assert client.get("/settings/branding/logo/0000000000000000.png").status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "content_type", "words"),
    [
        (GIF, "logo.gif", "image/gif", "GIF logos are not accepted"),
        (SVG, "logo.svg", "image/svg+xml", "SVG logos are not accepted"),
        (HTML, "logo.png", "image/png", "must be a PNG or JPEG image"),  # renamed, and lying
        (padded_png(512 * 1024 + 1), "logo.png", "image/png", "the limit is 512 KB"),
        (png_claiming(4096, 4096), "logo.png", "image/png", "at most 2048 pixels a side"),
    ],
)
def test_a_refused_logo_is_a_form_error_and_changes_nothing(
    owner: Any, data: bytes, name: str, content_type: str, words: str
) -> None:
    _upload(owner, png(10, 10))
    before = brand_current().logo_hash
    response = _upload(owner, data, name, content_type)
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page and 'id="logo-error"' in page
    assert brand_current().logo_hash == before


def test_uploading_nothing_says_what_to_do(owner: Any) -> None:
    response = owner.post(UPLOAD, {})
    assert response.status_code == 400 and "Choose a PNG or JPEG file" in response.content.decode()


def test_removing_the_logo_leaves_the_name(owner: Any, client: Any) -> None:
    owner.post(URL, FORM)
    _upload(owner, png())
    url = f"/settings/branding/logo/{brand_current().logo_file}"
    assert owner.post(REMOVE).status_code == 302
    assert not brand_current().has_logo and brand_current().name == "Lighthouse Managed IT"
    assert client.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="branding.logo_remove").count() == 1
    owner.post(REMOVE)  # nothing to remove: nothing recorded
    assert AuditEntry.objects.filter(action="branding.logo_remove").count() == 1
