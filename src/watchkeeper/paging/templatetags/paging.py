"""The paging panel on the account page: `{% load paging %}{% paging_account_panel %}`. (The
incident page's panel is computed by the console view: `selectors.incident_panel`.)"""

from __future__ import annotations

from typing import Any

from django import template

from watchkeeper.accounts.models import User
from watchkeeper.paging import selectors
from watchkeeper.paging.models import ContactKind

register = template.Library()


@register.inclusion_tag("paging/partials/account_panel.html", takes_context=True)
def paging_account_panel(context: dict[str, Any]) -> dict[str, Any]:
    user: User = context["request"].user
    if not user.is_msp:
        return {"hidden": True}
    return {
        "methods": list(selectors.contact_methods(user=user)),
        "rules": list(selectors.notification_rules(user=user)),
        "kinds": ContactKind.choices, "csrf_token": context.get("csrf_token"),
    }  # fmt: skip
