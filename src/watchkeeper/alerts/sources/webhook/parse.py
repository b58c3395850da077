"""Generic JSON webhook: per-integration templates turn any JSON body into an alert event.

Templates live in `integration.config["templates"]` (title, dedup_key, severity, resolve,
service, source, details) and render in Jinja2's immutable sandbox with the body as `payload`
(and its top-level keys as variables). They render at ingest: the inbox row stores the rendered
fields, so a template edited later never breaks an event already accepted.

Only a template that fails to render rejects an event; an output we cannot use (an unknown
severity word, an empty key) falls back to the default and is reported by `webhook_preview`,
because refusing a monitoring tool's alert over a label is worse than a default severity.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError

from watchkeeper.alerts.events import SEVERITIES, AlertEvent, EventError
from watchkeeper.alerts.sources.alertmanager.parse import severity_from_word
from watchkeeper.core.sandbox import Budget, BudgetExceeded, sandbox_compile, sandbox_render

TEMPLATE_NAMES = ("title", "dedup_key", "severity", "resolve", "service", "source", "details")
SOURCE_LIMIT = 10_000  # characters of one template's text
TRUE_WORDS = frozenset({"true", "yes", "1", "resolve", "resolved"})
FALSE_WORDS = frozenset({"false", "no", "0", ""})
# Values of status-like fields that mean "this is the recovery" when no resolve template is set.
RESOLVED_WORDS = frozenset({"resolved", "resolve", "ok", "recovered", "recovery", "closed", "close", "up"})
DEFAULT_TITLE = "Webhook event"


class _Fields:
    """Rendering state for one payload: the fields, the errors and the warnings."""

    def __init__(self, config: Mapping[str, Any], payload: Any) -> None:
        templates = config.get("templates")
        self.templates: Mapping[str, Any] = templates if isinstance(templates, dict) else {}
        self.payload = payload
        self.context = {"payload": payload}
        if isinstance(payload, dict):
            self.context = {**{k: v for k, v in payload.items() if isinstance(k, str)}, "payload": payload}
        self.default_severity = severity_from_word(config.get("default_severity"))
        self.errors: list[str] = []
        self.warnings: list[str] = []
        # One budget for all of an event's templates: the request's cost is bounded, not each part's.
        self.budget = Budget()

    def render(self, name: str) -> str | None:
        """The template's output, or None when the integration has no such template."""
        source = self.templates.get(name)
        if not isinstance(source, str) or not source.strip():
            return None
        try:
            return sandbox_render(sandbox_compile(source), self.context, budget=self.budget)
        except TemplateSyntaxError as exc:
            self.errors.append(f"template '{name}' line {exc.lineno}: {exc.message}")
        except BudgetExceeded as exc:
            self.errors.append(f"template '{name}' is over its budget: {exc}")
        except Exception as exc:  # any failure of a user's template is that template's error
            self.errors.append(f"template '{name}': {type(exc).__name__}: {exc}"[:500])
        return ""

    def pick(self, *names: str) -> str:
        """The first top-level field among `names` holding a non-empty string or number."""
        if isinstance(self.payload, dict):
            for name in names:
                value = self.payload.get(name)
                if isinstance(value, str) and value.strip():
                    return value.strip()
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return str(value)
        return ""


def payload_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _dedup_key(state: _Fields) -> str:
    failures = len(state.errors)
    rendered = state.render("dedup_key")
    key = rendered if rendered is not None else state.pick("dedup_key", "id", "alert_id", "incident_id")
    if rendered == "" and len(state.errors) == failures:
        state.warnings.append("template 'dedup_key' rendered nothing; used a hash of the payload")
    if len(key) > 255:
        state.warnings.append("the dedup key is longer than 255 characters; used a hash of it")
        key = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return key or payload_hash(state.payload)


def _severity(state: _Fields) -> str:
    rendered = state.render("severity")
    word = rendered if rendered is not None else state.pick("severity", "level", "priority")
    severity = severity_from_word(word, default="")
    if not severity:
        if word and rendered is not None:
            state.warnings.append(
                f"template 'severity' rendered '{word[:40]}', not one of {', '.join(SEVERITIES)} "
                f"(or a common word for one); used '{state.default_severity}'"
            )
        severity = state.default_severity
    return severity


def _resolve(state: _Fields) -> bool:
    rendered = state.render("resolve")
    if rendered is None:
        if isinstance(state.payload, dict) and state.payload.get("resolved") is True:
            return True
        return state.pick("status", "state", "action", "event_action", "event").lower() in RESOLVED_WORDS
    word = rendered.lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        state.warnings.append(f"template 'resolve' rendered '{rendered[:40]}', not true or false; used false")
    return word in TRUE_WORDS


def _details(state: _Fields) -> dict[str, Any] | None:
    rendered = state.render("details")
    if not rendered:
        return None
    try:
        value = json.loads(rendered)
    except ValueError:
        return {"text": rendered}
    return value if isinstance(value, dict) else {"value": value}


def render_fields(config: Mapping[str, Any], payload: Any) -> tuple[dict[str, Any], list[str], list[str]]:
    """The event fields for a payload, the template errors and the warnings."""
    state = _Fields(config, payload)
    title = state.render("title") or state.pick("title", "message", "summary", "subject", "text", "name")
    fields: dict[str, Any] = {
        "title": title[:1024] or DEFAULT_TITLE,
        "dedup_key": _dedup_key(state),
        "severity": _severity(state),
        "action": "resolve" if _resolve(state) else "trigger",
        "service": (state.render("service") or state.pick("service"))[:150],
        "source": (state.render("source") or state.pick("source", "host", "hostname"))[:255],
    }
    details = _details(state)
    if details is not None:
        fields["details"] = details
    return fields, state.errors, state.warnings


def inbox_payload(config: Mapping[str, Any], payload: Any) -> dict[str, Any]:
    """What the inbox stores for a webhook request; EventError names each failing template."""
    fields, errors, _ = render_fields(config, payload)
    if errors:
        raise EventError(errors)
    return {"body": payload, "event": fields}


def parse_stored(stored: Any) -> AlertEvent:
    """The event of an inbox row written by `inbox_payload`."""
    fields = stored.get("event") if isinstance(stored, dict) else None
    if not isinstance(fields, dict) or fields.get("action") not in ("trigger", "resolve"):
        raise EventError(["the stored webhook event is malformed"])
    body = stored.get("body")
    details = fields.get("details")
    if not isinstance(details, dict):
        details = body if isinstance(body, dict) else {"payload": body}
    return AlertEvent(
        action="resolve" if fields["action"] == "resolve" else "trigger",
        dedup_key=str(fields.get("dedup_key") or ""), summary=str(fields.get("title") or DEFAULT_TITLE),
        source=str(fields.get("source") or "webhook"), severity=str(fields.get("severity") or "warning"),
        service_name=str(fields.get("service") or ""), details=details,
        raw=body if isinstance(body, dict) else {"payload": body},
    )  # fmt: skip


def webhook_config_validate(config: Any) -> list[str]:
    """Problems with a webhook integration's configuration, each naming what to fix."""
    if not isinstance(config, dict):
        return ["the configuration must be a JSON object"]
    problems: list[str] = []
    templates = config.get("templates", {})
    if not isinstance(templates, dict):
        return ["'templates' must be an object of template name to template text"]
    for name, source in templates.items():
        if name not in TEMPLATE_NAMES:
            problems.append(f"unknown template '{name}'; use one of {', '.join(TEMPLATE_NAMES)}")
        elif not isinstance(source, str):
            problems.append(f"template '{name}' must be text")
        elif len(source) > SOURCE_LIMIT:
            problems.append(f"template '{name}' is longer than {SOURCE_LIMIT} characters")
        else:
            problems += _template_problems(name, source)
    default = config.get("default_severity")
    if default is not None and not severity_from_word(default, default=""):
        problems.append(f"'default_severity' must be one of {', '.join(SEVERITIES)}")
    return problems


def _template_problems(name: str, source: str) -> list[str]:
    """A syntax error, or a budget that a render without payload already exceeds: such a
    template would be refused for every event, so it is refused when it is saved."""
    try:
        sandbox_render(sandbox_compile(source), {"payload": {}})
    except TemplateSyntaxError as exc:
        return [f"template '{name}' line {exc.lineno}: {exc.message}"]
    except BudgetExceeded as exc:
        return [f"template '{name}' is over its budget: {exc}"]
    except Exception:  # noqa: S110 (other failures depend on the payload; ingest reports them)
        pass
    return []


def webhook_preview(*, config: dict[str, Any], payload: Any) -> dict[str, Any]:
    """What a payload would become: {"ok", "fields", "errors", "warnings"} (for the console)."""
    problems = webhook_config_validate(config)
    if problems:
        return {"ok": False, "fields": None, "errors": problems, "warnings": []}
    fields, errors, warnings = render_fields(config, payload)
    return {"ok": not errors, "fields": None if errors else fields, "errors": errors, "warnings": warnings}
