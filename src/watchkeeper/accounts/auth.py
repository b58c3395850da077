"""Bearer-token authentication for the REST API: the token becomes an access Actor."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from watchkeeper.accounts.services import token_authenticate
from watchkeeper.tenancy.access import Actor


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        return Actor(
            user=api_token.user, token_client_id=api_token.client_id, scopes=frozenset(api_token.scopes)
        )
