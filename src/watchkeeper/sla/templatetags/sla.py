"""Template filters for SLA durations. (The queue's and the incident page's clocks are computed by
the console views; the client page's standing is a panel: sla/panels.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from watchkeeper.sla.notify import duration
from watchkeeper.sla.reports import hours

register = template.Library()


@register.filter
def business_left(value: dt.timedelta | None) -> str:
    return "" if value is None else duration(value)


@register.filter
def sla_hours(seconds: float | None) -> str:
    return hours(seconds)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
