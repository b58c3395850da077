"""Event rules and maintenance windows: what to do with an incoming event before dedup.

`rules_decide` is the one entry point the processing calls. It reads the client's rules and
windows through a small per-process cache that is checked against the database with one
query per event (a sum of change tokens, see `ChangeTokenMixin`), so an edit made in the
console or the admin applies to the very next event, and an unchanged rule set is never
reloaded or recompiled.

The condition language (fields, operators, regex limits) is defined here, so that saving a
rule and evaluating it cannot disagree; the services validate with `condition_errors`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.maintenance import window_active
from watchkeeper.alerts.models import EventRule, Integration, MaintenanceWindow
from watchkeeper.core.saferegex import Pattern, RegexError, regex_compile
from watchkeeper.tenancy.models import Service

log = logging.getLogger("watchkeeper.alerts")

FIELDS = ("summary", "source", "severity", "component", "group", "alert_class", "dedup_key")
FIELD_PREFIXES = ("labels.", "details.")
OPS = ("equals", "contains", "regex", "exists")
ACTION_KEYS = ("service", "service_id", "severity", "impact", "urgency", "category", "tags")
FLAG_KEYS = ("suppress", "drop", "stop")
MAX_CONDITIONS = 20
MAX_VALUE_LENGTH = 1000
# Regexes run on RE2 (core.saferegex): linear in the text, so these caps bound one match's
# cost outright; a careless pattern cannot stall the inbox for every client.
MAX_REGEX_LENGTH = 300
MAX_SUBJECT_LENGTH = 10_000
_CACHE_LIMIT = 512


@dataclass
class Decision:
    drop: bool = False
    drop_reason: str = ""
    suppress_reason: str = ""
    service: Service | None = None
    severity: str = ""
    impact: str = ""
    urgency: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    # The rule that dropped the event (its counter is the only trace), and every rule that matched.
    drop_rule_id: int | None = None
    matched: list[str] = field(default_factory=list)


def compiled(pattern: str) -> Pattern:
    """A compiled pattern, shared by every rule that uses it (raises RegexError if unusable)."""
    return regex_compile(pattern)


def field_errors(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return "needs a 'field'"
    if name in FIELDS:
        return None
    prefix = next((p for p in FIELD_PREFIXES if name.startswith(p)), None)
    if prefix is not None and len(name) > len(prefix) and ".." not in name and not name.endswith("."):
        return None
    return f"has an unknown field '{name}' (use one of {', '.join(FIELDS)}, labels.<name> or details.<path>)"


def _condition_error(condition: Any) -> str | None:
    if not isinstance(condition, dict):
        return "must be an object with 'field', 'op' and 'value'"
    unknown = set(condition) - {"field", "op", "value", "negate"}
    if unknown:
        return f"has unknown keys: {', '.join(sorted(unknown))}"
    problem = field_errors(condition.get("field"))
    if problem:
        return problem
    op = condition.get("op")
    if op not in OPS:
        return f"has an unknown op '{op}' (use one of {', '.join(OPS)})"
    if not isinstance(condition.get("negate", False), bool):
        return "'negate' must be true or false"
    if op == "exists":
        return None
    value = condition.get("value")
    if not isinstance(value, str) or (op != "equals" and not value):
        return f"needs a text 'value' for '{op}'"
    if len(value) > MAX_VALUE_LENGTH:
        return f"has a 'value' longer than {MAX_VALUE_LENGTH} characters"
    if op == "regex":
        if len(value) > MAX_REGEX_LENGTH:
            return f"has a regex longer than {MAX_REGEX_LENGTH} characters"
        try:
            compiled(value)
        except RegexError as exc:
            return f"has an invalid regex '{value}': {exc}"
    return None


def condition_errors(conditions: Any) -> list[str]:
    """Every problem with a rule's conditions, as messages that say what to fix."""
    if not isinstance(conditions, list):
        return ["Conditions must be a list of {field, op, value} objects."]
    if len(conditions) > MAX_CONDITIONS:
        return [f"A rule can have at most {MAX_CONDITIONS} conditions."]
    errors = []
    for number, condition in enumerate(conditions, start=1):
        problem = _condition_error(condition)
        if problem:
            errors.append(f"Condition {number} {problem}.")
    return errors


def _text(value: Any) -> str | None:
    """The text a condition compares against; None when the field is absent or empty."""
    if isinstance(value, str):
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _details_value(details: dict[str, Any], path: str) -> Any:
    """A value by dotted path; a key that itself contains dots is found too."""
    if path in details:
        return details[path]
    value: Any = details
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class Condition:
    """One compiled condition. Built once per rule-set load: the field is split and the
    pattern compiled here, because `matches` runs for every rule on every event."""

    __slots__ = ("field", "head", "negate", "op", "pattern", "rest", "value")

    def __init__(self, field: str, op: str, value: str = "", negate: bool = False) -> None:
        self.field, self.op, self.value, self.negate = field, op, value, negate
        self.head, _, self.rest = field.partition(".") if "." in field else ("", "", field)
        self.pattern = compiled(value) if op == "regex" else None

    def _raw(self, event: AlertEvent, severity: str) -> Any:
        if self.head == "labels":
            # Labels are flat: the whole rest is the name, dots included (app.kubernetes.io/name).
            return event.labels.get(self.rest)
        if self.head == "details":
            return _details_value(event.details, self.rest)
        # Conditions on severity see what earlier rules set, so a rule can act on a downgrade.
        return severity if self.rest == "severity" else getattr(event, self.rest, None)

    def matches(self, event: AlertEvent, severity: str) -> bool:
        text = _text(self._raw(event, severity))
        if self.op == "exists":
            found = text is not None
        elif text is None:
            found = False
        elif self.op == "equals":
            found = text == self.value
        elif self.op == "contains":
            found = self.value in text[:MAX_SUBJECT_LENGTH]
        else:
            found = self.pattern is not None and self.pattern.search(text[:MAX_SUBJECT_LENGTH]) is not None
        return found != self.negate


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    integration_id: int | None
    conditions: tuple[Condition, ...]
    actions: dict[str, Any]

    @classmethod
    def of(cls, rule: EventRule) -> CompiledRule:
        conditions = tuple(
            Condition(c["field"], c["op"], str(c.get("value", "")), bool(c.get("negate", False)))
            for c in rule.conditions
        )
        return cls(rule.pk, rule.name, rule.integration_id, conditions, dict(rule.actions))

    def matches(self, event: AlertEvent, severity: str) -> bool:
        return all(condition.matches(event, severity) for condition in self.conditions)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...] = ()
    windows: tuple[MaintenanceWindow, ...] = ()


_cache: dict[int, tuple[tuple[Any, ...], RuleSet]] = {}


def _stamp(client_id: int) -> tuple[Any, ...]:
    """What changes whenever any rule or window of the client is added, saved or deleted.

    Plain SQL on purpose: it runs for every event, and building the same query through the
    ORM costs several times more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL, [client_id, client_id])
        rows = tuple(tuple(row) for row in cursor.fetchall())
    return rows if any(row[1] for row in rows) else ()


def _stamp_sql() -> str:
    part = (
        "SELECT {kind}, COUNT(*), COALESCE(SUM(change_token), 0), MAX(updated_at) "
        "FROM {table} WHERE client_id = %s"
    )
    return " UNION ALL ".join(
        part.format(kind=kind, table=model._meta.db_table)
        for kind, model in ((1, EventRule), (2, MaintenanceWindow))
    )


_STAMP_SQL = _stamp_sql()


def _compile(rules: Iterable[EventRule]) -> Iterator[CompiledRule]:
    for rule in rules:
        # Rows are checked on save; one written around the services must not stall the inbox.
        if condition_errors(rule.conditions) or not isinstance(rule.actions, dict):
            log.warning("event rule %s (%s) is invalid and is skipped", rule.pk, rule.name)
            continue
        yield CompiledRule.of(rule)


def ruleset_for(client_id: int) -> RuleSet:
    """The client's enabled rules (in order) and its windows: one query when unchanged."""
    stamp = _stamp(client_id)
    cached = _cache.get(client_id)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    ruleset = RuleSet()
    if stamp:
        rules = EventRule.objects.filter(client_id=client_id, is_enabled=True).order_by("position", "id")
        windows = MaintenanceWindow.objects.filter(client_id=client_id).order_by("id")
        ruleset = RuleSet(tuple(_compile(rules)), tuple(windows))
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[client_id] = (stamp, ruleset)
    return ruleset


def cache_clear() -> None:
    _cache.clear()


def _apply_actions(rule: CompiledRule, decision: Decision) -> None:
    actions = rule.actions
    for name in ("severity", "impact", "urgency", "category"):
        if actions.get(name):
            setattr(decision, name, actions[name])
    tags = actions.get("tags")
    if isinstance(tags, list):
        decision.tags.extend(tag for tag in tags if isinstance(tag, str) and tag not in decision.tags)
    if "suppress" in actions:
        # An explicit false lifts an earlier rule's suppression: "suppress info, except …".
        if not actions["suppress"]:
            decision.suppress_reason = ""
        elif not decision.suppress_reason:
            decision.suppress_reason = f"rule: {rule.name}"


def _route(integration: Integration, service_id: int) -> Service | None:
    # By id, within the client: a rule saved before a service moved cannot cross tenants.
    return Service.objects.filter(pk=service_id, client_id=integration.client_id).first()


def _run_rules(ruleset: RuleSet, integration: Integration, event: AlertEvent) -> Decision:
    decision = Decision()
    service_id: int | None = None
    for rule in ruleset.rules:
        if rule.integration_id not in (None, integration.pk):
            continue
        if not rule.matches(event, decision.severity or event.severity):
            continue
        decision.matched.append(rule.name)
        if rule.actions.get("drop"):
            decision.drop, decision.drop_reason, decision.drop_rule_id = True, f"rule: {rule.name}", rule.id
            return decision
        _apply_actions(rule, decision)
        routed = rule.actions.get("service_id")
        service_id = routed if isinstance(routed, int) and not isinstance(routed, bool) else service_id
        if rule.actions.get("stop"):
            break
    if service_id is not None:
        decision.service = _route(integration, service_id)
    return decision


def _maintenance(
    ruleset: RuleSet, integration: Integration, event: AlertEvent, decision: Decision, at: dt.datetime
) -> str:
    active = [window for window in ruleset.windows if window_active(window, at)]
    if not active:
        return ""
    for window in active:
        if window.service_id is None:
            return f"maintenance: {window.name}"
    if decision.service is None and event.service_name:
        # Resolve the sender's service name the way apply does, so the window sees the same service.
        decision.service = Service.objects.filter(
            client_id=integration.client_id, name=event.service_name
        ).first()
    service_id = decision.service.pk if decision.service else integration.default_service_id
    for window in active:
        if window.service_id == service_id:
            return f"maintenance: {window.name}"
    return ""


def rules_decide(
    *, integration: Integration, event: AlertEvent, at: dt.datetime, ruleset: RuleSet | None = None
) -> Decision:
    """Apply the client's event rules and maintenance windows to one event (`ruleset`: the
    client's, when the caller already has it)."""
    ruleset = ruleset if ruleset is not None else ruleset_for(integration.client_id)
    if not ruleset.rules and not ruleset.windows:
        return Decision()
    decision = _run_rules(ruleset, integration, event)
    if decision.drop or decision.suppress_reason:
        return decision
    decision.suppress_reason = _maintenance(ruleset, integration, event, decision, at)
    return decision
