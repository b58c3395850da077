"""Template tags that show SLA clocks on other apps' pages (incident page, queue, client page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template

from watchkeeper.core import clock
from watchkeeper.sla import selectors
from watchkeeper.sla.notify import duration
from watchkeeper.sla.reports import hours

register = template.Library()


@register.inclusion_tag("sla/partials/incident_clocks.html")
def sla_incident_clocks(incident: Any) -> dict[str, Any]:
    """The incident's clocks with business time left (a few queries, however long the timeline)."""
    return {"clocks": selectors.clock_views(incident=incident), "incident": incident, "compact": False}


@register.simple_tag
def sla_clock_map(incidents: Iterable[Any]) -> dict[int, list[selectors.ClockView]]:
    """Clocks of every incident on a list page, in ONE query: `{% sla_clock_map page.items as sla %}`."""
    return selectors.clock_views_for_incidents([incident.pk for incident in incidents])


@register.inclusion_tag("sla/partials/incident_clocks.html")
def sla_row_clocks(clock_map: dict[int, Any], incident: Any) -> dict[str, Any]:
    return {"clocks": clock_map.get(incident.pk, []), "incident": incident, "compact": True}


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
