"""The SLA panel of the client page: the client's current standing and its report (core/panels.py)."""

from __future__ import annotations

from django.template.loader import render_to_string

from watchkeeper.core import clock
from watchkeeper.sla import selectors
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client


def client_standing(request: AuthenticatedHttpRequest, *, client: Client) -> str:
    context = {
        "client": client,
        "standing": selectors.client_standing(client),
        "policy": selectors.policy_for_client(client),
        "month": clock.now().strftime("%Y-%m"),
    }
    return render_to_string("sla/partials/client_standing.html", context, request=request)
