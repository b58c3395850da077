"""The paging panel of the account page: how the signed-in staff member is paged (core/panels.py)."""

from __future__ import annotations

from django.template.loader import render_to_string

from watchkeeper.paging import selectors
from watchkeeper.paging.models import ContactKind
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


def account(request: AuthenticatedHttpRequest) -> str:
    user = request.user
    if not user.is_msp:
        return ""
    context = {
        "methods": list(selectors.contact_methods(user=user)),
        "rules": list(selectors.notification_rules(user=user)),
        "kinds": ContactKind.choices,
    }
    return render_to_string("paging/partials/account_panel.html", context, request=request)
