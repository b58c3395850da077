"""Sign-in, throttling, two-factor and password reset, through the real views."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django_otp.oath import totp

from tests.accounts.factories import PASSWORD, UserFactory
from watchkeeper.accounts.models import Role, SealedTOTPDevice
from watchkeeper.accounts.services import security_settings_update
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock

pytestmark = pytest.mark.django_db


def _sign_in(http: HttpClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    headers = {key: extra.pop(key) for key in list(extra) if key.startswith("HTTP_")}
    return http.post("/accounts/login/", {"email": email, "password": password, **extra}, **headers)


def _code(device: SealedTOTPDevice, drift: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:06d}"


def test_sign_in_and_out() -> None:
    user = UserFactory(role=Role.TECHNICIAN, all_clients=True)
    http = HttpClient()
    assert http.get("/").status_code == 302
    response = _sign_in(http, user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"  # staff start from the queue
    assert http.get("/incidents/").status_code == 200
    assert http.get("/")["Location"] == "/incidents/"
    http.post("/accounts/logout/")
    assert http.get("/").status_code == 302


def test_portal_user_lands_on_portal(world: Any) -> None:
    http = HttpClient()
    response = _sign_in(http, world.a.client_user.email)
    assert response["Location"] == "/portal/"
    assert http.get("/")["Location"] == "/portal/"
    page = http.get("/portal/").content.decode()
    assert world.a.service.name in page
    assert world.b.client.name not in page


def test_wrong_password_is_a_clear_400() -> None:
    user = UserFactory()
    response = _sign_in(HttpClient(), user.email, "wrong")
    assert response.status_code == 400
    assert "do not match" in response.content.decode()


def test_unsafe_next_is_ignored() -> None:
    user = UserFactory(role=Role.OWNER)
    response = _sign_in(HttpClient(), user.email, next="https://evil.example/")
    assert response["Location"] == "/incidents/"


def test_throttling_after_repeated_failures_even_with_right_password() -> None:
    user = UserFactory()
    http = HttpClient()
    for _ in range(5):
        assert _sign_in(http, user.email, "wrong").status_code == 400
    response = _sign_in(http, user.email)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    clock.advance(dt.timedelta(minutes=16))
    assert _sign_in(http, user.email).status_code == 302


def test_two_factor_setup_and_sign_in() -> None:
    user = UserFactory(role=Role.TECHNICIAN)
    http = HttpClient()
    _sign_in(http, user.email)
    page = http.get("/accounts/two-factor/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = SealedTOTPDevice.objects.get(user=user, confirmed=False)
    assert http.post("/accounts/two-factor/", {"token": "000000"}).status_code == 400
    device.throttle_reset()  # django-otp makes the next try wait after a failure
    setup_code = _code(device)
    assert http.post("/accounts/two-factor/", {"token": setup_code}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="user.2fa_enable", object_id=str(user.pk)).exists()

    fresh = HttpClient()
    response = _sign_in(fresh, user.email)
    assert response["Location"] == "/accounts/login/verify/"
    assert fresh.get("/").status_code == 302, "not signed in before the code"
    assert fresh.post("/accounts/login/verify/", {"token": "123"}).status_code == 400
    device.refresh_from_db()
    # The setup code cannot be used twice (the very code, not one computed again: a 30-second
    # step may have begun since, whose code is new); the next step's code is within tolerance.
    assert fresh.post("/accounts/login/verify/", {"token": setup_code}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    response = fresh.post("/accounts/login/verify/", {"token": _code(device, drift=1)})
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert fresh.get("/incidents/").status_code == 200


def test_required_two_factor_sends_staff_to_setup(world: Any) -> None:
    security_settings_update(require_2fa_for_staff=True, actor=world.owner)
    http = HttpClient()
    _sign_in(http, world.a.technician.email)
    response = http.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/"
    # Portal users are not staff: not forced.
    portal = HttpClient()
    _sign_in(portal, world.a.client_user.email)
    assert portal.get("/portal/").status_code == 200


def test_password_reset_by_email() -> None:
    user = UserFactory()
    http = HttpClient()
    response = http.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+)", mail.outbox[0].body)
    assert link is not None
    response = http.get(link.group(1), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    new = "Another-long-passphrase-7"
    response = http.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert _sign_in(HttpClient(), user.email, new).status_code == 302


def test_unknown_address_reset_sends_nothing_and_says_the_same() -> None:
    response = HttpClient().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_admin_login_goes_through_our_sign_in() -> None:
    response = HttpClient().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    user = UserFactory(role=Role.OWNER)
    response = HttpClient().post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_change_is_audited() -> None:
    user = UserFactory()
    http = HttpClient()
    http.force_login(user)
    new = "Brand-new-passphrase-99"
    response = http.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="user.password_change", actor=user).exists()


def test_throttling_per_ip_behind_a_trusted_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    users = [UserFactory() for _ in range(21)]
    http = HttpClient(REMOTE_ADDR="10.0.0.1")  # the proxy
    for user in users[:20]:
        _sign_in(http, user.email, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")
    # The attacker's address is throttled; a colleague behind the same proxy is not.
    assert _sign_in(http, users[20].email, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert (
        _sign_in(
            HttpClient(REMOTE_ADDR="10.0.0.1"), users[20].email, HTTP_X_FORWARDED_FOR="198.51.100.4"
        ).status_code
        == 302
    )
