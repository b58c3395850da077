"""Creating, changing and removing monitors, and each client's network policy. Audited.

A monitor's alerts go through an integration of its client and service (PagerDuty Events v2
kind, named "Monitoring: <service>"), created here on first use: the inbox, rules, maintenance
windows, flapping, incidents, paging and SLAs then treat them like any other source's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.services.integrations import integration_create
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.saferegex import regex_problem
from watchkeeper.monitoring.checks import check_run
from watchkeeper.monitoring.checks.base import CheckResult, host_port
from watchkeeper.monitoring.checks.dnscheck import RECORD_TYPES
from watchkeeper.monitoring.conditions import conditions_check
from watchkeeper.monitoring.models import Monitor, MonitorKind, NetworkPolicy
from watchkeeper.monitoring.network import networks_parse
from watchkeeper.monitoring.results import alert_resolve
from watchkeeper.monitoring.scheduling import network_map, spec_for
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Service

MIN_INTERVAL, MAX_INTERVAL = 10, 86_400
MAX_TIMEOUT = 60
MAX_RETRIES = 20
INTEGRATION_PREFIX = "Monitoring: "
_SETTINGS: dict[str, frozenset[str]] = {
    "http": frozenset({"method", "headers", "body", "expected_status", "keyword", "keyword_absent",
                       "regex", "max_response_ms", "follow_redirects", "verify_tls", "ca_pem",
                       "severity"}),
    "tcp": frozenset({"max_response_ms", "severity"}),
    "dns": frozenset({"record_type", "resolver", "expected", "max_response_ms", "severity"}),
    "tls": frozenset({"server_name", "verify_tls", "ca_pem", "max_response_ms", "severity"}),
    "smtp": frozenset({"starttls", "verify_tls", "ca_pem", "max_response_ms", "severity"}),
    "ping": frozenset({"max_response_ms", "severity"}),
}  # fmt: skip
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_EDITABLE = ("name", "target", "settings", "conditions", "interval_seconds", "timeout_seconds", "retries",
             "recovery_threshold", "parent", "is_enabled", "service")  # fmt: skip


def _target_check(kind: str, target: str) -> str:
    target = (target or "").strip()
    if not target:
        raise InvalidInput("A monitor needs a target.", field="target")
    if len(target) > 1000 or any(ch.isspace() for ch in target):
        raise InvalidInput("The target may not contain spaces (at most 1,000 characters).", field="target")
    if kind == "http":
        parts = urlsplit(target)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise InvalidInput(
                "An HTTP monitor's target is a URL: https://example.com/health.", field="target"
            )
        try:
            parts.port  # noqa: B018 — raises on a port that is not a number
        except ValueError:
            raise InvalidInput(f"'{target}' has a port that is not a number.", field="target") from None
    elif kind in {"tcp", "tls", "smtp"}:
        try:
            host_port(target, None if kind == "tcp" else 443)
        except ValueError as exc:
            raise InvalidInput(f"The target is host:port ({exc}).", field="target") from None
    elif "/" in target or (":" in target.strip("[]").replace("::", "") and kind == "dns"):
        raise InvalidInput("The target is a host name, without a scheme or port.", field="target")
    return target


def _settings_check(kind: str, settings: Any) -> dict[str, Any]:
    if settings in (None, ""):
        return {}
    if not isinstance(settings, dict):
        raise InvalidInput("Settings are a JSON object.", field="settings")
    unknown = sorted(set(settings) - _SETTINGS[kind])
    if unknown:
        raise InvalidInput(
            f"A {kind} monitor has no setting {', '.join(unknown)}; "
            f"it has {', '.join(sorted(_SETTINGS[kind]))}.",
            field="settings",
        )
    method = str(settings.get("method") or "GET").upper()
    if method not in _METHODS:
        raise InvalidInput(f"Method {method} is not one of {', '.join(sorted(_METHODS))}.", field="settings")
    headers = settings.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise InvalidInput("Headers are an object of names to texts.", field="settings")
    if any(not str(k).isascii() or ":" in str(k) or "\n" in str(k) + str(v) for k, v in headers.items()):
        raise InvalidInput("A header name or value has a colon or a line break.", field="settings")
    status = settings.get("expected_status")
    if status not in (None, "") and (not isinstance(status, int) or not 100 <= status <= 599):
        raise InvalidInput("The expected status is a number from 100 to 599.", field="settings")
    if settings.get("regex"):
        problem = regex_problem(str(settings["regex"]))
        if problem:
            raise InvalidInput(f"The regex /{settings['regex']}/: {problem}", field="settings")
    record_type = str(settings.get("record_type") or "A").upper()
    if kind == "dns" and record_type not in RECORD_TYPES:
        raise InvalidInput(
            f"Record type {record_type} is not one of {', '.join(RECORD_TYPES)}.", field="settings"
        )
    if settings.get("severity") not in (None, "", "critical", "error", "warning", "info"):
        raise InvalidInput("Severity is critical, error, warning or info.", field="settings")
    return dict(settings)


def _numbers_check(values: dict[str, Any]) -> None:
    interval, timeout = values["interval_seconds"], values["timeout_seconds"]
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise InvalidInput(f"The interval is {MIN_INTERVAL} s to {MAX_INTERVAL} s.", field="interval_seconds")
    if not 1 <= timeout <= min(MAX_TIMEOUT, interval):
        raise InvalidInput(
            f"The timeout is 1 s to {min(MAX_TIMEOUT, interval)} s (at most the interval).",
            field="timeout_seconds",
        )
    if not 0 <= values["retries"] <= MAX_RETRIES:
        raise InvalidInput(f"Retries are 0 to {MAX_RETRIES}.", field="retries")
    if not 1 <= values["recovery_threshold"] <= MAX_RETRIES:
        raise InvalidInput(f"The recovery threshold is 1 to {MAX_RETRIES}.", field="recovery_threshold")


def _parent_check(monitor: Monitor) -> None:
    parent = monitor.parent
    if parent is None:
        return
    if parent.client_id != monitor.client_id:
        raise InvalidInput("The parent monitor must be one of the same client's.", field="parent")
    seen = {monitor.pk}
    while parent is not None:
        if parent.pk in seen:
            raise InvalidInput("A monitor cannot depend on itself, even through others.", field="parent")
        seen.add(parent.pk)
        parent = parent.parent


def _require(actor: Any, client: Client) -> None:
    """People and tokens need `integrations.manage` on the client; a text actor is the system
    (the demo, the CLI, tests' stories)."""
    if not isinstance(actor, str):
        access.require(actor, "integrations.manage", client=client)


def monitor_integration(
    *, client: Client, service: Service, actor: Any = "monitoring", via: str = "monitoring"
) -> Integration:
    """The integration whose inbox this client's monitors of `service` feed; made on first use."""
    name = (INTEGRATION_PREFIX + service.name)[:150]
    found = Integration.objects.filter(client=client, name=name, type="pagerduty").first()
    if found is not None:
        return found
    return integration_create(
        actor=actor, client=client, type="pagerduty", name=name, service=service, via=via
    )


def first_run_at(*, monitor: Monitor, now: dt.datetime) -> dt.datetime:
    """Monitors spread over their interval (no thundering herd): a stable offset per monitor,
    plus jitter of up to a tenth of the interval so equal ids on several installations differ."""
    interval = monitor.interval_seconds
    offset = int(hashlib.sha256(str(monitor.pk).encode()).hexdigest()[:8], 16) % (interval * 1000)
    jitter = random.uniform(0, interval * 100)  # noqa: S311 — spreading load, not a secret
    return now + dt.timedelta(milliseconds=(offset + jitter) % (interval * 1000))


def monitor_create(
    *, actor: Any, client: Client, service: Service, via: str = "console", **fields: Any
) -> Monitor:
    _require(actor, client)
    if service.client_id != client.pk:
        raise InvalidInput(f"Unknown service for {client.name}.", field="service")
    kind = fields.get("kind")
    if kind not in MonitorKind.values:
        raise InvalidInput(f"The kind is one of {', '.join(MonitorKind.values)}.", field="kind")
    values = {
        "interval_seconds": 60, "timeout_seconds": 10, "retries": 1, "recovery_threshold": 1,
        "settings": {}, "conditions": [], "parent": None, "is_enabled": True, **fields,
    }  # fmt: skip
    monitor = Monitor(client=client, service=service)
    for name, value in values.items():
        setattr(monitor, name, value)
    _clean(monitor)
    now = clock.now()
    try:
        with transaction.atomic():
            monitor.integration = monitor_integration(client=client, service=service, actor=actor, via=via)
            monitor.state_since = now
            monitor.save()
            monitor.next_run_at = first_run_at(monitor=monitor, now=now)
            monitor.save(update_fields=["next_run_at"])
            audit_record(actor=actor, action="monitor.create", obj=monitor, after=snapshot(monitor), via=via)
    except IntegrityError:
        raise InvalidInput(
            f"{client.name} already has a monitor named '{monitor.name}'.", field="name"
        ) from None
    return monitor


def _clean(monitor: Monitor) -> None:
    monitor.name = (monitor.name or "").strip()
    if not monitor.name or len(monitor.name) > 150:
        raise InvalidInput("A monitor needs a name (at most 150 characters).", field="name")
    monitor.target = _target_check(monitor.kind, monitor.target)
    monitor.settings = _settings_check(monitor.kind, monitor.settings)
    monitor.conditions = conditions_check(monitor.conditions, kind=monitor.kind)
    for name in ("interval_seconds", "timeout_seconds", "retries", "recovery_threshold"):
        try:
            setattr(monitor, name, int(getattr(monitor, name)))
        except (TypeError, ValueError):
            raise InvalidInput(
                f"{name.replace('_', ' ').capitalize()} is a whole number.", field=name
            ) from None
    _numbers_check({n: getattr(monitor, n) for n in ("interval_seconds", "timeout_seconds", "retries",
                                                     "recovery_threshold")})  # fmt: skip
    _parent_check(monitor)


def monitor_update(*, actor: Any, monitor: Monitor, via: str = "console", **changes: Any) -> Monitor:
    _require(actor, monitor.client)
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise InvalidInput(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    before = snapshot(monitor)
    old_interval = monitor.interval_seconds
    for name, value in changes.items():
        setattr(monitor, name, value)
    if monitor.service.client_id != monitor.client_id:
        raise InvalidInput(f"Unknown service for {monitor.client.name}.", field="service")
    _clean(monitor)
    fields = list(changes)
    try:
        with transaction.atomic():
            if "service" in changes:
                monitor.integration = monitor_integration(
                    client=monitor.client, service=monitor.service, via=via
                )
                fields.append("integration")
            if monitor.interval_seconds != old_interval or (
                changes.get("is_enabled") and not before["is_enabled"]
            ):
                monitor.next_run_at = first_run_at(monitor=monitor, now=clock.now())
                fields.append("next_run_at")
            if changes.get("is_enabled") is False and monitor.alert_open:
                alert_resolve(monitor=monitor, why="the monitor was paused")
                monitor.alert_open = False
                fields.append("alert_open")
            monitor.save(update_fields=fields)
            audit_record(
                actor=actor,
                action="monitor.update",
                obj=monitor,
                before=before,
                after=snapshot(monitor),
                via=via,
            )
    except IntegrityError:
        raise InvalidInput(
            f"{monitor.client.name} already has a monitor named '{monitor.name}'.", field="name"
        ) from None
    return monitor


def monitor_delete(*, actor: Any, monitor: Monitor, via: str = "console") -> None:
    """Remove a monitor with its history; an alert it raised is resolved first."""
    _require(actor, monitor.client)
    with transaction.atomic():
        if monitor.alert_open or monitor.overdue_alert_open:
            alert_resolve(monitor=monitor, why="the monitor was removed")
        Monitor.objects.filter(parent=monitor).update(parent=None)
        audit_record(actor=actor, action="monitor.delete", obj=monitor, before=snapshot(monitor), via=via)
        monitor.delete()


def network_policy_set(*, actor: Any, client: Client, networks: Any, via: str = "console") -> NetworkPolicy:
    """Which private networks the client's server-side monitors may reach. MSP admins only:
    it widens the SSRF guard, which is the operator's to decide."""
    if not isinstance(actor, str):
        access.require(actor, "clients.create")
    _require(actor, client)
    cleaned = networks_parse(networks if networks is not None else [])
    with transaction.atomic():
        policy, _ = NetworkPolicy.objects.select_for_update().get_or_create(client=client)
        before = {"allowed_networks": list(policy.allowed_networks)}
        policy.allowed_networks = cleaned
        policy.updated_at = clock.now()
        policy.save(update_fields=["allowed_networks", "updated_at"])
        audit_record(
            actor=actor, action="monitoring.networks", object_type="monitoring.networkpolicy",
            object_id=str(policy.pk), object_repr=f"Monitoring networks of {client.name}",
            client_id=client.pk, before=before, after={"allowed_networks": cleaned}, via=via,
        )  # fmt: skip
    return policy


def monitor_test(*, actor: Any, monitor: Monitor) -> CheckResult:
    """Run the monitor's check once, now, and return what it saw; records nothing and moves
    no state ("test now"). Under the same network guard as the scheduled runs."""
    _require(actor, monitor.client)
    spec = spec_for(monitor, network_map({monitor.client_id}).get(monitor.client_id, ()))
    return asyncio.run(check_run(spec))
