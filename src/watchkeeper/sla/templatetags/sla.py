"""Template tags for SLA on other apps' pages: the client page's standing, and filters for durations.
(The queue's and the incident page's clocks are computed by the console views.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from watchkeeper.core import clock
from watchkeeper.sla import selectors
from watchkeeper.sla.notify import duration
from watchkeeper.sla.reports import hours

register = template.Library()


@register.inclusion_tag("sla/partials/client_standing.html", takes_context=True)
def sla_client_standing(context: template.Context, client: Any) -> dict[str, Any]:
    month = clock.now().strftime("%Y-%m")
    policy = selectors.policy_for_client(client)
    return {
        "client": client,
        "standing": selectors.client_standing(client),
        "policy": policy,
        "month": month,
        "user": context.get("user"),
    }


@register.filter
def business_left(value: dt.timedelta | None) -> str:
    return "" if value is None else duration(value)


@register.filter
def sla_hours(seconds: float | None) -> str:
    return hours(seconds)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
