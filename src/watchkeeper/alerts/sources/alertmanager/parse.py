"""Prometheus Alertmanager `webhook_config` (version 4), and Grafana's superset of it.

One request carries one notification group; every alert in it becomes one event. The
per-alert fingerprint is the dedup key and the group key groups the alerts into one incident.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from watchkeeper.alerts.events import AlertEvent, EventError

# Severity words seen in the wild (Prometheus rules, Grafana, Zabbix, RMM tools), mapped onto
# ours. Anything else falls back to DEFAULT_SEVERITY: a label we do not understand is more
# likely a warning than an outage, and event rules can raise it.
SEVERITY_WORDS: dict[str, str] = {
    **{word: "critical" for word in ("critical", "crit", "fatal", "emergency", "emerg", "alert", "page",
                                     "disaster", "p1", "sev1", "urgent")},
    **{word: "error" for word in ("error", "err", "major", "high", "p2", "sev2", "failure", "down")},
    **{word: "warning" for word in ("warning", "warn", "minor", "average", "medium", "p3", "sev3")},
    **{word: "info" for word in ("info", "informational", "information", "notice", "low", "none", "ok",
                                 "debug", "p4", "p5", "sev4", "sev5", "not classified")},
}  # fmt: skip
DEFAULT_SEVERITY = "warning"
ALERT_STATUSES = ("firing", "resolved")
LINK_FIELDS = (("generatorURL", "Source"), ("silenceURL", "Silence"), ("dashboardURL", "Dashboard"),
               ("panelURL", "Panel"))  # fmt: skip
MAX_ERRORS = 20


def severity_from_word(value: Any, *, default: str = DEFAULT_SEVERITY) -> str:
    """Our severity for a sender's word ("crit", "P2", "Warning" …); `default` when unknown."""
    if not isinstance(value, str | int):
        return default
    return SEVERITY_WORDS.get(str(value).strip().lower(), default)


def web_link(href: Any, text: str) -> dict[str, str] | None:
    """A link for the console, only for http(s) URLs (never javascript: or data:)."""
    if isinstance(href, str) and href.startswith(("http://", "https://")) and len(href) <= 2048:
        return {"href": href, "text": text}
    return None


def _string_map(value: Any, name: str, errors: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"'{name}' must be an object of strings")
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict | list):
            errors.append(f"'{name}.{key}' must be a string, not an object or list")
        elif item is not None:
            result[str(key)] = item if isinstance(item, str) else json.dumps(item)
    return result


def _timestamp(value: Any) -> dt.datetime | None:
    """Start times are informative only: a malformed one never rejects the group."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year < 2:  # Go's zero time: "not set"
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def labels_hash(labels: Mapping[str, str]) -> str:
    """A stable key for a label set (what Alertmanager's fingerprint is, for senders without one)."""
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _group_fields(body: dict[str, Any], errors: list[str]) -> tuple[str, str]:
    group_key = body.get("groupKey")
    if group_key is not None and not isinstance(group_key, str):
        errors.append("'groupKey' must be a string")
        group_key = None
    if not group_key:
        # No group key (a hand-written sender): the group labels stand in for it.
        labels = body.get("groupLabels")
        group_key = "labels:" + labels_hash(labels) if isinstance(labels, dict) and labels else ""
    external = body.get("externalURL")
    return group_key[:1024], external if isinstance(external, str) else ""


def parse_group(body: Any, *, config: Mapping[str, Any] | None = None) -> list[AlertEvent]:
    """Validate a webhook body; one event per alert, or EventError listing what is wrong."""
    if not isinstance(body, dict):
        raise EventError(["the body must be a JSON object (Alertmanager webhook_config, version 4)"])
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise EventError(["'alerts' must be a non-empty list of alerts"])
    errors: list[str] = []
    group_key, external_url = _group_fields(body, errors)
    config = config or {}
    receiver = body.get("receiver")
    context: dict[str, str] = {
        "group_key": group_key,
        "external_url": external_url,
        "receiver": receiver if isinstance(receiver, str) else "",
        "service_label": str(config.get("service_label") or "service"),
        "default_severity": severity_from_word(config.get("default_severity")),
    }
    events = []
    for index, alert in enumerate(alerts):
        event = _parse_alert(alert, f"alerts[{index}]", context, errors)
        if event is not None:
            events.append(event)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise EventError(errors[:MAX_ERRORS])
    return events


def _parse_alert(alert: Any, where: str, context: dict[str, str], errors: list[str]) -> AlertEvent | None:
    if not isinstance(alert, dict):
        errors.append(f"'{where}' must be an object")
        return None
    before = len(errors)
    status = alert.get("status")
    if status not in ALERT_STATUSES:
        errors.append(f"'{where}.status' must be 'firing' or 'resolved'")
    labels = _string_map(alert.get("labels"), f"{where}.labels", errors)
    annotations = _string_map(alert.get("annotations"), f"{where}.annotations", errors)
    fingerprint = alert.get("fingerprint")
    if fingerprint is not None and not (isinstance(fingerprint, str) and len(fingerprint) <= 255):
        errors.append(f"'{where}.fingerprint' must be a string of at most 255 characters")
    if not labels and not fingerprint:
        errors.append(f"'{where}' needs 'labels' or a 'fingerprint' to tell it apart from others")
    if len(errors) > before:
        return None
    alertname = labels.get("alertname", "")
    return AlertEvent(
        action="trigger" if status == "firing" else "resolve",
        dedup_key=fingerprint or labels_hash(labels),
        summary=annotations.get("summary") or annotations.get("description") or alertname
        or "Alertmanager alert",
        source=labels.get("instance") or labels.get("job") or context["receiver"] or "alertmanager",
        severity=severity_from_word(labels.get("severity"), default=context["default_severity"]),
        component=labels.get("job", ""), alert_class=alertname, group_key=context["group_key"],
        labels=labels, details=_details(alert, annotations), links=_links(alert, context["external_url"]),
        service_name=labels.get(context["service_label"], ""), occurred_at=_timestamp(alert.get("startsAt")),
        raw={"groupKey": context["group_key"], "receiver": context["receiver"], "alert": alert},
    )  # fmt: skip


def _details(alert: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    details: dict[str, Any] = dict(annotations)
    for name in ("startsAt", "endsAt", "generatorURL", "valueString", "values", "silenceURL",
                 "dashboardURL", "panelURL", "imageURL"):  # fmt: skip
        value = alert.get(name)
        if value not in (None, "", {}):
            details[name] = value
    return details


def _links(alert: dict[str, Any], external_url: str) -> list[dict[str, str]]:
    candidates = [web_link(alert.get(name), text) for name, text in LINK_FIELDS]
    candidates.append(web_link(external_url, "Alertmanager"))
    return [link for link in candidates if link is not None]
