"""Panels: a section of one app's page that belongs to an app above it.

The account page (accounts) shows how its owner is paged (paging); the client page (tenancy)
shows the client's SLA standing (sla). The lower app may not import the higher one (ADR 0022), and
a template tag that queries is what that ADR took away. So the page's view asks for its panels by
name, and settings list the providers of each page (`WATCHKEEPER_PANELS`): configuration at the top
of the house names them, as `MIDDLEWARE` names middleware, and nothing registers itself on import.

A provider takes the request and the page's own objects as keywords and returns the panel's HTML,
rendered with the request (so `{% csrf_token %}` works), or "" when it has nothing to show. The
view does the querying, once, before the page's template runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

Provider = Callable[..., str]


@cache
def _providers(page: str) -> tuple[Provider, ...]:
    paths: dict[str, list[str]] = getattr(settings, "WATCHKEEPER_PANELS", {})
    return tuple(import_string(path) for path in paths.get(page, ()))


def panels(page: str, request: HttpRequest, **objects: Any) -> list[SafeString]:
    """The rendered panels of `page`, in the order settings list them; empty ones left out."""
    rendered = (provider(request, **objects) for provider in _providers(page))
    return [mark_safe(html) for html in rendered if html]  # noqa: S308 - rendered by templates
