"""Typed requests and "who did it": the signed-in user as Django's admin hooks see it, the person
behind a `By`, and a user's time zone for showing times."""

from __future__ import annotations

import zoneinfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.tenancy.access import Actor, user_of
from watchkeeper.tenancy.http import signed_in_user


def test_an_anonymous_request_is_refused_not_trusted() -> None:
    request = RequestFactory().get("/admin/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        signed_in_user(request)
    person = User(email="pat@msp.example")
    request.user = person
    assert signed_in_user(request) is person


def test_the_person_behind_by() -> None:
    person = User(email="pat@msp.example")
    assert user_of(person) is person
    assert user_of(Actor(user=person, scopes=frozenset({"read"}))) is person
    assert user_of("system") is None


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("Mars/Base", "UTC"),
        ("", "UTC"),
        ("../etc", "UTC"),
    ],
)
def test_a_users_zone_falls_back_to_utc(stored: str, expected: str) -> None:
    assert User(timezone=stored).zone == zoneinfo.ZoneInfo(expected)
    assert clock.zone_or_utc(stored) == zoneinfo.ZoneInfo(expected)
