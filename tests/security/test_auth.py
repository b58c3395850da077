"""Required two-factor holds for every console page and for token creation (issue 12, item 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django_otp.oath import totp
from django_otp.util import random_hex

from tests.accounts.factories import PASSWORD
from watchkeeper.accounts.models import ApiToken, SealedTOTPDevice, User
from watchkeeper.accounts.services import security_settings_update, token_create
from watchkeeper.core.errors import Forbidden

pytestmark = pytest.mark.django_db


def _password_only(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)  # a session signed in with the password alone
    return http


def _device(user: User) -> SealedTOTPDevice:
    device = SealedTOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    device.seal(random_hex(20))
    return device


def _code(device: SealedTOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def required(world: Any) -> Any:
    security_settings_update(require_2fa_for_staff=True, actor=world.owner)
    return world


@pytest.mark.parametrize("page", ["/integrations/{id}/", "/accounts/", "/admin/", "/settings/mail/"])
def test_staff_without_device_is_sent_to_setup_from_every_page(required: Any, page: str) -> None:
    http = _password_only(required.owner)
    response = http.get(page.format(id=required.a.integration.pk))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/"
    assert required.a.integration.key not in response.content.decode()


def test_staff_with_device_but_unverified_session_is_sent_to_verify(required: Any) -> None:
    device = _device(required.owner)
    http = _password_only(required.owner)
    response = http.get(f"/integrations/{required.a.integration.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/verify/"
    # The verify page accepts the signed-in user's code and verifies this session.
    assert http.get("/accounts/login/verify/").status_code == 200
    assert http.post("/accounts/login/verify/", {"token": _code(device)}).status_code == 302
    assert http.get(f"/integrations/{required.a.integration.pk}/").status_code == 200


def test_unverified_staff_cannot_mint_a_token_in_the_console(required: Any) -> None:
    _device(required.owner)
    http = _password_only(required.owner)
    response = http.post("/accounts/tokens", {"name": "x", "scopes": ["admin"]})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/verify/"
    assert not ApiToken.objects.filter(user=required.owner).exists()


def test_token_service_refuses_an_unverified_session(required: Any) -> None:
    with pytest.raises(Forbidden):
        token_create(user=required.owner, scopes=["admin"], session_verified=False)
    token_create(user=required.owner, scopes=["admin"], session_verified=True)
    token_create(user=required.owner, scopes=["admin"])  # the operator's shell


def test_set_up_sign_out_and_machine_endpoints_stay_open(required: Any) -> None:
    http = _password_only(required.owner)
    assert http.get("/accounts/two-factor/").status_code == 200
    assert http.get("/healthz").status_code == 200
    assert http.get("/api/v1/users/me").status_code == 401  # bearer tokens only, not the session
    assert http.post("/accounts/logout/").status_code == 302


def test_portal_users_and_optional_two_factor_are_not_held(world: Any) -> None:
    assert _password_only(world.owner).get("/accounts/").status_code == 200
    security_settings_update(require_2fa_for_staff=True, actor=world.owner)
    assert _password_only(world.a.client_user).get("/portal/").status_code == 200


def test_sign_in_with_code_then_reaches_pages(required: Any) -> None:
    device = _device(required.a.technician)
    http = HttpClient()
    response = http.post("/accounts/login/", {"email": required.a.technician.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/login/verify/"
    assert http.post("/accounts/login/verify/", {"token": _code(device)}).status_code == 302
    assert http.get(f"/integrations/{required.a.integration.pk}/").status_code == 200
