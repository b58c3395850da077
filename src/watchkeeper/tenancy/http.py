"""Typed requests: what a view may rely on after sign-in, and an API operation after its token.

Django types `request.user` as "a user or anonymous" and ninja adds `request.auth` untyped; each
view behind `login_required` and each API operation (all need a bearer token, config/api.py)
declares one of these instead, so neither needs a helper nor a `type: ignore` to get its actor.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from watchkeeper.accounts.models import User
from watchkeeper.tenancy.access import Actor


class AuthenticatedHttpRequest(HttpRequest):
    """A console or portal request behind `login_required`: the user is signed in."""

    user: User


class ApiRequest(HttpRequest):
    """An API request that passed `BearerToken`: `auth` is its token's actor."""

    auth: Actor


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that Django itself signed in where its signature says only
    `HttpRequest` (the admin's hooks): checked, so an anonymous request is refused, not trusted."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
