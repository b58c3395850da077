"""Template context shared by every page: the navigation for the signed-in user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from watchkeeper.alerts.backlog import InboxBacklog, inbox_backlog
from watchkeeper.tenancy import access

# Areas of the console; those without a URL yet are shown as coming (greyed out).
_AREAS: tuple[tuple[str, str | None, str], ...] = (
    ("Incidents", "incidents:list", "console.use"),
    ("Clients", "tenancy:clients", "console.use"),
    ("Alerts", "alerts:list", "console.use"),
    ("Integrations", "alerts:integrations", "console.use"),
    ("On-call", "oncall:list", "schedules.view"),
    ("Escalation", "paging:policies", "escalation.view"),
    ("SLAs", "sla:page", "policy.view"),
    ("Status pages", None, "console.use"),
    ("Reviews", None, "console.use"),
    ("Reports", None, "console.use"),
    ("Policy", "policy:page", "policy.view"),
    ("Audit log", "audit:list", "audit.view"),
    # The client portal's areas (portal users only).
    ("Overview", "tenancy:portal", "portal.use"),
    ("Our incidents", "portal:incidents", "portal.use"),
    ("Report a problem", "portal:new", "portal.use"),
)


# Installation-wide settings, in the user menu.
_SETTINGS: tuple[tuple[str, str, str], ...] = (("Outgoing mail", "mail:settings", "mail.manage"),)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "settings_nav": []}
    nav = []
    for label, url_name, action in _AREAS:
        if not access.can(user, action):
            continue
        url = reverse(url_name) if url_name else None
        active = bool(url) and (request.path == url if url == "/" else request.path.startswith(str(url)))
        nav.append({"label": label, "url": url, "active": active})
    settings_nav = [
        {"label": label, "url": reverse(url_name)}
        for label, url_name, action in _SETTINGS
        if access.can(user, action)
    ]
    return {"nav": nav, "settings_nav": settings_nav, "inbox_behind": _inbox_behind(user)}


def _inbox_behind(user: Any) -> InboxBacklog | None:
    """The inbox backlog when it is behind and the user runs the installation (MSP owners and
    admins: the people who can act on it); None otherwise. Two indexed reads per page."""
    if not access.can(user, "operations.view"):
        return None
    backlog = inbox_backlog()
    return backlog if backlog.behind else None
