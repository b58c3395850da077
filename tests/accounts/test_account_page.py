"""The account page: profile and time zone, API tokens created and revoked from the page."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from watchkeeper.accounts.models import ApiToken
from watchkeeper.accounts.services import token_authenticate, token_create
from watchkeeper.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_profile_name_and_time_zone(world: Any, browser_as: Any) -> None:
    tech = world.a.technician
    http = browser_as(tech)
    response = http.post(reverse("accounts:profile"), {"full_name": "Ada Tech", "timezone": "Europe/Berlin"})
    assert response.status_code == 302
    tech.refresh_from_db()
    assert (tech.full_name, tech.timezone) == ("Ada Tech", "Europe/Berlin")
    assert AuditEntry.objects.filter(action="user.profile").exists()
    bad = http.post(reverse("accounts:profile"), {"full_name": "Ada", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Unknown time zone 'Mars/Olympus'" in _text(bad)
    empty = http.post(reverse("accounts:profile"), {"full_name": " ", "timezone": "UTC"})
    assert empty.status_code == 400
    tech.refresh_from_db()
    assert tech.timezone == "Europe/Berlin"


def test_token_created_on_the_page_is_shown_once_and_works(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    response = http.post(reverse("accounts:token_create"), {"name": "export", "scopes": ["read"]})
    body = _text(response)
    token = ApiToken.objects.get(user=world.a.technician, name="export")
    secret = body.split('<code id="new-token">')[1].split("</code>")[0]
    assert token_authenticate(secret) == token
    assert secret not in _text(http.get(reverse("accounts:account")))  # never again
    assert "export" in _text(http.get(reverse("accounts:account")))


def test_token_scopes_and_client_are_checked(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    unknown = http.post(reverse("accounts:token_create"), {"name": "x", "scopes": ["root"]})
    assert unknown.status_code == 400 and "Unknown scope root" in _text(unknown)
    other = http.post(
        reverse("accounts:token_create"), {"name": "x", "scopes": ["read"], "client": world.b.client.slug}
    )
    assert other.status_code == 400
    assert not ApiToken.objects.filter(user=world.a.technician).exists()


def test_portal_users_token_is_narrowed_to_their_client(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.client_user)
    http.post(reverse("accounts:token_create"), {"name": "mine", "scopes": ["read"]})
    assert ApiToken.objects.get(user=world.a.client_user).client == world.a.client


def test_revoke_own_token_only(world: Any, browser_as: Any) -> None:
    mine, _ = token_create(user=world.a.technician, name="mine")
    theirs, _ = token_create(user=world.b.technician, name="theirs")
    http = browser_as(world.a.technician)
    assert http.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert http.post(reverse("accounts:token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert http.post(reverse("accounts:token_revoke", args=[mine.pk])).status_code == 404  # already revoked
