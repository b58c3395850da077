"""Console pages for a client's event rules (ordered, with a dry run on a sample event) and
maintenance windows. Thin adapters: selectors read, services write and check everything."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from watchkeeper.accounts.models import User
from watchkeeper.alerts import selectors
from watchkeeper.alerts.maintenance import zone
from watchkeeper.alerts.models import EventRule
from watchkeeper.alerts.rules import ACTION_KEYS, FIELDS, FLAG_KEYS, OPS
from watchkeeper.alerts.services import rules as services
from watchkeeper.alerts.services.rule_trial import event_rules_try
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy import access
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client

SAMPLE_EVENT = {"summary": "Backup failed on fs01", "severity": "error", "labels": {"env": "prod"}}
EXAMPLE_CONDITIONS = [{"field": "severity", "op": "equals", "value": "info"}]
EXAMPLE_ACTIONS = {"suppress": True, "tags": ["noise"]}
JSON_LIMIT = 32 * 1024


def _client(request: AuthenticatedHttpRequest, slug: str) -> tuple[User, Client]:
    user = request.user
    client = access.client_access(user, slug)  # another tenant's: 404
    access.require(user, "console.use")
    access.require(user, "integrations.view", client=client)
    return user, client


def _json(text: str, what: str, default: Any) -> Any:
    if not text.strip():
        return default
    if len(text) > JSON_LIMIT:
        raise InvalidInput(f"The {what} are longer than {JSON_LIMIT // 1024} KB.", field=what)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidInput(f"The {what} are not valid JSON: {exc}", field=what) from None


def _page(request: AuthenticatedHttpRequest, user: User, client: Client, **extra: Any) -> HttpResponse:
    context = {
        "client": client,
        "rules": list(selectors.event_rule_list(actor=user, client=client)),
        "windows": list(selectors.maintenance_window_list(actor=user, client=client)),
        "services": list(tenancy.service_list(actor=user, client=client)),
        "can_manage": access.can(user, "services.manage", client=client),
        "operators": OPS,
        "fields": FIELDS,
        "action_keys": [key for key in (*ACTION_KEYS, *FLAG_KEYS) if key != "service_id"],
        "form": {"conditions": json.dumps(EXAMPLE_CONDITIONS), "actions": json.dumps(EXAMPLE_ACTIONS)},
        "sample": json.dumps(SAMPLE_EVENT, indent=2),
        **extra,
    }
    return render(request, "alerts/rules.html", context, status=400 if extra.get("error") else 200)


@login_required
def rules_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The client's rules in order, its maintenance windows, and (POST) a new rule."""
    user, client = _client(request, slug)
    if request.method != "POST":
        return _page(request, user, client)
    form = {key: request.POST.get(key, "") for key in ("name", "conditions", "actions")}
    try:
        conditions, actions = (
            _json(form["conditions"], "conditions", []),
            _json(form["actions"], "actions", {}),
        )
        rule = services.event_rule_create(
            actor=user,
            client=client,
            name=form["name"],
            conditions=conditions,
            actions=actions,
            via="console",
        )
    except InvalidInput as exc:
        return _page(request, user, client, form=form, error=exc.message)
    messages.success(request, f"Added the rule “{rule.name}” at the end of the order.")
    return redirect("alerts:rules", slug=client.slug)


@login_required
@require_POST
def rules_try(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    user, client = _client(request, slug)
    sample = request.POST.get("sample", "")
    try:
        result = event_rules_try(client=client, event=_json(sample, "sample event", {}))
    except InvalidInput as exc:
        return _page(request, user, client, sample=sample, error=exc.message)
    return _page(request, user, client, sample=sample, trial=result)


def _rule(request: AuthenticatedHttpRequest, rule_id: int) -> tuple[User, EventRule]:
    user = request.user
    rule = selectors.event_rule_access(actor=user, pk=rule_id)  # another tenant's: 404
    access.require(user, "console.use")
    return user, rule


@login_required
def rule_page(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    """Edit one rule."""
    user, rule = _rule(request, rule_id)
    form: dict[str, Any] = {
        "name": rule.name, "conditions": json.dumps(rule.conditions, indent=2),
        "actions": json.dumps({k: v for k, v in rule.actions.items() if k != "service_id"}, indent=2),
        "is_enabled": rule.is_enabled,
    }  # fmt: skip
    error = ""
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in ("name", "conditions", "actions")}
        form["is_enabled"] = request.POST.get("is_enabled") == "on"
        try:
            conditions = _json(str(form["conditions"]), "conditions", [])
            actions = _json(str(form["actions"]), "actions", {})
            services.event_rule_update(
                actor=user, rule=rule, name=form["name"], conditions=conditions, actions=actions,
                is_enabled=form["is_enabled"], via="console",
            )  # fmt: skip
        except InvalidInput as exc:
            error = exc.message
        else:
            messages.success(request, f"Saved the rule “{form['name']}”.")
            return redirect("alerts:rules", slug=rule.client.slug)
    context = {"rule": rule, "form": form, "error": error, "operators": OPS, "fields": FIELDS}
    return render(request, "alerts/rule_edit.html", context, status=400 if error else 200)


@login_required
@require_POST
def rule_move(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    """Move a rule one place up or down in its client's order."""
    user, rule = _rule(request, rule_id)
    ids = list(selectors.event_rule_list(actor=user, client=rule.client).values_list("pk", flat=True))
    here = ids.index(rule.pk)
    there = here - 1 if request.POST.get("direction") == "up" else here + 1
    if 0 <= there < len(ids):
        ids[here], ids[there] = ids[there], ids[here]
        services.event_rule_reorder(actor=user, client=rule.client, rule_ids=ids, via="console")
    return redirect("alerts:rules", slug=rule.client.slug)


@login_required
@require_POST
def rule_delete(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    user, rule = _rule(request, rule_id)
    slug = rule.client.slug
    services.event_rule_delete(actor=user, rule=rule, via="console")
    messages.success(request, f"Deleted the rule “{rule.name}”.")
    return redirect("alerts:rules", slug=slug)


def _when(text: str, what: str, time_zone: str) -> dt.datetime:
    """A date-time from a form; without an offset it is read in the window's time zone."""
    value = parse_datetime(text.strip()) if text.strip() else None
    if value is None:
        raise InvalidInput(f"Give the {what} as a date and time, e.g. 2027-03-28T02:00.", field=what)
    if value.tzinfo is None:
        try:
            value = value.replace(tzinfo=zone(time_zone))
        except ValueError as exc:
            raise InvalidInput(str(exc), field="timezone") from None
    return value


@login_required
@require_POST
def window_new(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    user, client = _client(request, slug)
    post = request.POST
    time_zone = post.get("timezone", "").strip() or client.timezone or "UTC"
    try:
        window = services.maintenance_window_create(
            actor=user, client=client, name=post.get("name", ""),
            starts_at=_when(post.get("starts_at", ""), "start", time_zone),
            ends_at=_when(post.get("ends_at", ""), "end", time_zone), timezone=time_zone,
            recurrence=post.get("recurrence", ""), reason=post.get("reason", ""),
            service=int(post["service"]) if post.get("service", "").isdigit() else None, via="console",
        )  # fmt: skip
    except InvalidInput as exc:
        return _page(request, user, client, error=exc.message, window_form=post)
    messages.success(request, f"Added the maintenance window “{window.name}”.")
    return redirect("alerts:rules", slug=client.slug)


@login_required
@require_POST
def window_delete(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    user = request.user
    window = selectors.maintenance_window_access(actor=user, pk=window_id)  # another tenant's: 404
    access.require(user, "console.use")
    slug = window.client.slug
    services.maintenance_window_delete(actor=user, window=window, via="console")
    messages.success(request, f"Deleted the maintenance window “{window.name}”.")
    return redirect("alerts:rules", slug=slug)
