"""Writes for event rules and maintenance windows, with the validation that keeps ingest safe.

Everything a rule or window says is checked when it is saved (unknown fields, invalid regex,
another client's service, levels the policy does not know, impossible recurrences), so the
engine never meets a rule it cannot evaluate. Each write checks access ("services.manage" on
the client) and is audited in its own transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max

from watchkeeper.alerts.events import SEVERITIES
from watchkeeper.alerts.maintenance import recurrence_error, zone
from watchkeeper.alerts.models import EventRule, Integration, MaintenanceWindow
from watchkeeper.alerts.rules import ACTION_KEYS, FLAG_KEYS, condition_errors
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.policy.selectors import policy_get
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Service


class _Unset:
    """Marks an argument that was not given (None means "none", e.g. every integration)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
MAX_TAGS = 20


def _require(actor: Any, client: Client) -> None:
    # A text actor ("cli", "system") is trusted code; people and tokens are checked.
    if not isinstance(actor, str):
        access.require(actor, "services.manage", client=client)


def _name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"A {what} needs a name.", field="name")
    if len(name.strip()) > 150:
        raise InvalidInput(f"A {what} name can be at most 150 characters.", field="name")
    return name.strip()


def _policy_keys() -> tuple[set[str], set[str], set[str]]:
    try:
        view = policy_get()
    except NotFound as exc:
        raise InvalidInput(exc.message) from None
    return (
        {level.key for level in view.impact_levels},
        {level.key for level in view.urgency_levels},
        {category.key for category in view.categories},
    )


def _check_level(actions: dict[str, Any], name: str, known: set[str] | tuple[str, ...]) -> None:
    value = actions.get(name)
    if value is not None and value not in known:
        raise InvalidInput(
            f"Unknown {name} '{value}' in the actions (known: {', '.join(sorted(known))}).", field="actions"
        )


def _check_flags_and_tags(actions: dict[str, Any]) -> None:
    for flag in FLAG_KEYS:
        if flag in actions and not isinstance(actions[flag], bool):
            raise InvalidInput(f"The action '{flag}' must be true or false.", field="actions")
    tags = actions.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and 0 < len(tag) <= 50 for tag in tags):
        raise InvalidInput(
            "The action 'tags' must be a list of short texts (1–50 characters).", field="actions"
        )
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"A rule can set at most {MAX_TAGS} tags.", field="actions")


def event_rule_actions_clean(*, client: Client, actions: Any) -> dict[str, Any]:
    """The actions checked and normalised: the service named is the client's, stored by id too."""
    if not isinstance(actions, dict):
        raise InvalidInput('Actions must be an object, e.g. {"severity": "warning"}.', field="actions")
    unknown = set(actions) - set(ACTION_KEYS) - set(FLAG_KEYS)
    if unknown:
        allowed = ", ".join(key for key in (*ACTION_KEYS, *FLAG_KEYS) if key != "service_id")
        raise InvalidInput(f"Unknown actions: {', '.join(sorted(unknown))} (use {allowed}).", field="actions")
    cleaned = {key: value for key, value in actions.items() if key != "service_id" and value is not None}
    _check_flags_and_tags(cleaned)
    if cleaned.get("drop") and set(cleaned) - {"drop", "stop"}:
        raise InvalidInput(
            "A dropping rule cannot also route, set or suppress: remove 'drop' or the other actions.",
            field="actions",
        )
    if "severity" in cleaned:
        _check_level(cleaned, "severity", SEVERITIES)
    if {"impact", "urgency", "category"} & set(cleaned):
        impacts, urgencies, categories = _policy_keys()
        _check_level(cleaned, "impact", impacts)
        _check_level(cleaned, "urgency", urgencies)
        _check_level(cleaned, "category", categories)
    if "service" in cleaned:
        name = cleaned["service"]
        # By name within this client only: another client's service is simply unknown here.
        service = Service.objects.filter(client=client, name=name).first() if isinstance(name, str) else None
        if service is None:
            raise InvalidInput(f"Unknown service '{name}' for {client.name}.", field="actions")
        cleaned["service_id"] = service.pk
    if not cleaned:
        raise InvalidInput(
            "A rule needs at least one action (route, set a level, tag, suppress, drop or stop)."
        )
    return cleaned


def event_rule_clean(
    *, client: Client, integration: Integration | None, conditions: Any, actions: Any
) -> dict[str, Any]:
    """Check a whole rule for `client`; returns the normalised actions."""
    errors = condition_errors(conditions)
    if errors:
        raise InvalidInput(" ".join(errors), field="conditions")
    if integration is not None and integration.client_id != client.pk:
        raise InvalidInput(f"Unknown integration for {client.name}.", field="integration")
    return event_rule_actions_clean(client=client, actions=actions)


def _integration(client: Client, integration: Integration | int | None) -> Integration | None:
    """The integration a rule is limited to; the actor already passed the client's check."""
    if integration is None:
        return None
    pk = integration if isinstance(integration, int) else integration.pk
    found = Integration.objects.filter(pk=pk, client=client).first()
    if found is None:
        raise InvalidInput(f"Unknown integration for {client.name}.", field="integration")
    return found


def event_rule_create(
    *,
    actor: Any,
    client: Client,
    name: str,
    conditions: list[dict[str, Any]],
    actions: dict[str, Any],
    integration: Integration | int | None = None,
    position: int | None = None,
    is_enabled: bool = True,
    via: str = "console",
) -> EventRule:
    """A new rule, last in the client's order unless `position` is given."""
    _require(actor, client)
    rule_name = _name(name, "rule")
    target = _integration(client, integration)
    cleaned = event_rule_clean(client=client, integration=target, conditions=conditions, actions=actions)
    with transaction.atomic():
        if position is None:
            last = EventRule.objects.filter(client=client).aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        rule = EventRule.objects.create(
            client=client, name=rule_name, integration=target, conditions=conditions, actions=cleaned,
            position=max(0, position), is_enabled=is_enabled,
        )  # fmt: skip
        audit_record(actor=actor, action="event_rule.create", obj=rule, after=snapshot(rule), via=via)
    return rule


def event_rule_update(
    *,
    actor: Any,
    rule: EventRule,
    name: Any = UNSET,
    conditions: Any = UNSET,
    actions: Any = UNSET,
    integration: Any = UNSET,
    is_enabled: Any = UNSET,
    via: str = "console",
) -> EventRule:
    """Change what is given; the whole rule is checked again before it is saved."""
    client = rule.client
    _require(actor, client)
    with transaction.atomic():
        rule = EventRule.objects.select_for_update().select_related("client").get(pk=rule.pk)
        before = snapshot(rule)
        if name is not UNSET:
            rule.name = _name(name, "rule")
        if integration is not UNSET:
            rule.integration = _integration(client, integration)
        if conditions is not UNSET:
            rule.conditions = conditions
        if is_enabled is not UNSET:
            rule.is_enabled = bool(is_enabled)
        new_actions = rule.actions if actions is UNSET else actions
        rule.actions = event_rule_clean(
            client=client, integration=rule.integration, conditions=rule.conditions, actions=new_actions
        )
        rule.save(
            update_fields=rule.touch_fields("name", "integration", "conditions", "actions", "is_enabled")
        )
        audit_record(
            actor=actor, action="event_rule.update", obj=rule, before=before, after=snapshot(rule), via=via
        )
    return rule


def event_rule_delete(*, actor: Any, rule: EventRule, via: str = "console") -> None:
    _require(actor, rule.client)
    with transaction.atomic():
        audit_record(actor=actor, action="event_rule.delete", obj=rule, before=snapshot(rule), via=via)
        rule.delete()


def event_rule_reorder(
    *, actor: Any, client: Client, rule_ids: list[int], via: str = "console"
) -> list[EventRule]:
    """Put the client's rules in the order given; the list must name each of them once."""
    _require(actor, client)
    with transaction.atomic():
        rules = {rule.pk: rule for rule in EventRule.objects.select_for_update().filter(client=client)}
        if not isinstance(rule_ids, list) or len(set(rule_ids)) != len(rule_ids):
            raise InvalidInput("Give each rule id once, in the new order.", field="rule_ids")
        unknown = [str(pk) for pk in rule_ids if pk not in rules]
        if unknown:
            raise InvalidInput(f"Unknown rules for {client.name}: {', '.join(unknown)}.", field="rule_ids")
        missing = [str(pk) for pk in rules if pk not in rule_ids]
        if missing:
            raise InvalidInput(f"The new order leaves out rules {', '.join(missing)}.", field="rule_ids")
        before = {pk: rule.position for pk, rule in rules.items()}
        ordered = [rules[pk] for pk in rule_ids]
        for position, rule in enumerate(ordered):
            if rule.position != position:
                rule.position = position
                rule.save(update_fields=rule.touch_fields("position"))
        audit_record(
            actor=actor, action="event_rule.reorder", object_type="alerts.eventrule",
            object_repr=f"rules of {client.name}", client_id=client.pk,
            before={"positions": before}, after={"order": rule_ids}, via=via,
        )  # fmt: skip
    return ordered


def maintenance_window_clean(*, window: MaintenanceWindow) -> None:
    """Check a window (not yet saved) as a whole; InvalidInput says what to fix."""
    starts_at, ends_at = window.starts_at, window.ends_at
    if not isinstance(starts_at, dt.datetime) or not isinstance(ends_at, dt.datetime):
        raise InvalidInput("A maintenance window needs a start and an end date-time.", field="starts_at")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("Give the start and end with their UTC offset (e.g. 2027-03-28T02:00+01:00).")
    if ends_at <= starts_at:
        raise InvalidInput("The window must end after it starts.", field="ends_at")
    try:
        zone(window.timezone)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="timezone") from None
    window.recurrence = (window.recurrence or "").strip()
    if len(window.recurrence) > 300:
        raise InvalidInput("A recurrence can be at most 300 characters.", field="recurrence")
    problem = recurrence_error(window.recurrence, window.timezone, starts_at)
    if problem:
        raise InvalidInput(problem, field="recurrence")
    if (
        window.service_id is not None
        and not Service.objects.filter(pk=window.service_id, client_id=window.client_id).exists()
    ):
        raise InvalidInput(f"Unknown service for {window.client.name}.", field="service")
    if len(window.reason or "") > 2000:
        raise InvalidInput("A reason can be at most 2,000 characters.", field="reason")


def _service_ref(client: Client, service: Service | int | None) -> int | None:
    if service is None:
        return None
    pk = service if isinstance(service, int) else service.pk
    if not Service.objects.filter(pk=pk, client=client).exists():
        raise InvalidInput(f"Unknown service for {client.name}.", field="service")
    return pk


def maintenance_window_create(
    *,
    actor: Any,
    client: Client,
    name: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    timezone: str | None = None,
    recurrence: str = "",
    service: Service | int | None = None,
    reason: str = "",
    via: str = "console",
) -> MaintenanceWindow:
    """A one-off window, or with `recurrence` (an RRULE) a repeating one; client-wide unless
    `service` is given. The time zone defaults to the client's."""
    _require(actor, client)
    window = MaintenanceWindow(
        client=client, name=_name(name, "maintenance window"), starts_at=starts_at, ends_at=ends_at,
        timezone=timezone or client.timezone or "UTC", recurrence=recurrence or "",
        service_id=_service_ref(client, service), reason=reason or "",
    )  # fmt: skip
    maintenance_window_clean(window=window)
    with transaction.atomic():
        window.save()
        audit_record(
            actor=actor, action="maintenance_window.create", obj=window, after=snapshot(window), via=via
        )
    return window


_WINDOW_FIELDS = ("name", "starts_at", "ends_at", "timezone", "recurrence", "reason")


def maintenance_window_update(
    *, actor: Any, window: MaintenanceWindow, via: str = "console", **changes: Any
) -> MaintenanceWindow:
    """Change the given fields (name, starts_at, ends_at, timezone, recurrence, reason, service)."""
    unknown = set(changes) - {*_WINDOW_FIELDS, "service"}
    if unknown:
        raise InvalidInput(f"Unknown maintenance window fields: {', '.join(sorted(unknown))}.")
    client = window.client
    _require(actor, client)
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update().select_related("client").get(pk=window.pk)
        before = snapshot(window)
        for key in _WINDOW_FIELDS:
            if key == "name" and key in changes:
                window.name = _name(changes[key], "maintenance window")
            elif key in changes:
                setattr(
                    window,
                    key,
                    "" if changes[key] is None and key in {"recurrence", "reason"} else changes[key],
                )
        if "service" in changes:
            window.service_id = _service_ref(client, changes["service"])
        maintenance_window_clean(window=window)
        window.save(update_fields=window.touch_fields(*_WINDOW_FIELDS, "service"))
        audit_record(
            actor=actor, action="maintenance_window.update", obj=window, before=before,
            after=snapshot(window), via=via,
        )  # fmt: skip
    return window


def maintenance_window_delete(*, actor: Any, window: MaintenanceWindow, via: str = "console") -> None:
    _require(actor, window.client)
    with transaction.atomic():
        audit_record(
            actor=actor, action="maintenance_window.delete", obj=window, before=snapshot(window), via=via
        )
        window.delete()
