"""The admin respects roles and audits every change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _as(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_owner_change_in_admin_is_audited_with_before_and_after(world: Any) -> None:
    client = world.a.client
    response = _as(world.owner).post(
        f"/admin/tenancy/client/{client.pk}/change/",
        {
            "name": client.name, "slug": client.slug, "timezone": "Europe/Dublin", "country": "IE",
            "region": "", "contract_tier": "premium", "seats": 40, "is_active": "on", "notes": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="client.update", via="admin")
    assert entry.before["timezone"] == "Europe/London"
    assert entry.after["timezone"] == "Europe/Dublin"
    assert entry.actor == world.owner


def test_manager_may_change_clients_but_not_users(world: Any) -> None:
    manager = UserFactory(role=Role.MANAGER, all_clients=True)
    http = _as(manager)
    assert http.get(f"/admin/tenancy/client/{world.a.client.pk}/change/").status_code == 200
    user_page = http.get(f"/admin/accounts/user/{world.a.technician.pk}/change/")
    assert user_page.status_code == 200
    assert 'name="email"' not in user_page.content.decode(), "read-only for managers"
    assert http.get("/admin/accounts/user/add/").status_code == 403


def test_technicians_and_portal_users_cannot_enter(world: Any) -> None:
    for user in (world.a.technician, world.a.client_admin):
        response = _as(user).get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_admin_can_reset_a_lost_authenticator(world: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=world.a.technician, name="phone", confirmed=True)
    http = _as(world.owner)
    response = http.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEntry.objects.filter(action="totpdevice.delete").exists()
