"""Template context shared by every page: the navigation for the signed-in user, and the MSP's
brand for the pages clients see (the portal, and the sign-in pages before anyone is known)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from watchkeeper.alerts.backlog import InboxBacklog, inbox_backlog
from watchkeeper.branding.selectors import brand_for_page
from watchkeeper.tenancy import access

# Areas of the console, each a page that exists: no area is shown before it is built. The daily
# areas stand on the bar; the rest are grouped behind a menu of the bar (a group names them), so the
# bar stays one row on a desktop screen however many areas there are.
REPORTS, SETUP = "Reports", "Set-up"
_AREAS: tuple[tuple[str, str, str, str], ...] = (
    ("Incidents", "incidents:list", "console.use", ""),
    ("Clients", "tenancy:clients", "console.use", ""),
    ("Alerts", "alerts:list", "console.use", ""),
    ("Monitors", "monitoring:list", "console.use", ""),
    ("On-call", "oncall:list", "schedules.view", ""),
    ("Leadership", "comms:leadership", "console.use", ""),
    ("Reviews", "reviews:list", "console.use", ""),
    ("Knowledge", "knowledge:list", "knowledge.view", ""),
    ("SLA reports", "sla:reports", "console.use", REPORTS),
    ("Metrics", "reviews:metrics", "console.use", REPORTS),
    ("Integrations", "alerts:integrations", "console.use", SETUP),
    ("Escalation", "paging:policies", "escalation.view", SETUP),
    ("SLAs", "sla:page", "policy.view", SETUP),
    ("Client comms", "comms:page", "policy.view", SETUP),
    ("Chat", "chat:page", "chat.view", SETUP),
    ("Policy", "policy:page", "policy.view", SETUP),
    ("Audit log", "audit:list", "audit.view", SETUP),
    # The client portal's areas (portal users only).
    ("Overview", "tenancy:portal", "portal.use", ""),
    ("Our incidents", "portal:incidents", "portal.use", ""),
    ("Articles", "portal_kb:list", "portal.use", ""),
    ("Report a problem", "portal:new", "portal.use", ""),
    ("Incident summaries", "reviews:portal_list", "portal.use", ""),
)


# Installation-wide settings, in the user menu.
_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("Outgoing mail", "mail:settings", "mail.manage"),
    ("Branding", "branding:settings", "branding.manage"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "settings_nav": []}
    items: list[dict[str, Any]] = []
    for label, url_name, action, group in _AREAS:
        if not access.can(user, action):
            continue
        items.append({"label": label, "url": reverse(url_name), "active": False, "group": group})
    # The area whose URL is the longest prefix of the path is current (/sla/reports/ is
    # SLA reports, not SLAs).
    matches = [
        item
        for item in items
        if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    nav: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        if not item["group"]:
            nav.append(item)
            continue
        if item["group"] not in groups:
            groups[item["group"]] = {"label": item["group"], "children": [], "active": False}
            nav.append(groups[item["group"]])
        group_entry = groups[item["group"]]
        group_entry["children"].append(item)
        group_entry["active"] = group_entry["active"] or item["active"]
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


def branding(request: HttpRequest) -> dict[str, Any]:
    """`brand` (read only when a template uses it) and `brand_shown`: whether this page is one a
    client sees, under the MSP's name. The console keeps the product's own header."""
    user = getattr(request, "user", None)
    shown = user is None or not user.is_authenticated or access.can(user, "portal.use")
    return {"brand": SimpleLazyObject(brand_for_page), "brand_shown": shown}
