"""Bulk import of monitors from YAML or CSV: all or nothing, every problem named by its row.

YAML: a list of objects with the API's fields, the service by name (`service: Online booking
website`) and the parent by the name of a monitor of the same client (earlier in the file or
existing). CSV: a header row with `name, kind, target, service` and any of `interval_seconds,
timeout_seconds, retries, recovery_threshold, parent, conditions` (conditions separated by ` ; `),
and the kind's settings as `setting.<name>` columns.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import yaml
from django.db import transaction

from watchkeeper.core.errors import InvalidInput
from watchkeeper.monitoring.models import Monitor
from watchkeeper.monitoring.services import monitor_create
from watchkeeper.tenancy.models import Client, Service

MAX_ROWS = 1000
MAX_TEXT = 1_000_000
_NUMBERS = ("interval_seconds", "timeout_seconds", "retries", "recovery_threshold")
_FIELDS = frozenset({"name", "kind", "target", "service", "settings", "conditions", "parent", "is_enabled",
                     *_NUMBERS})  # fmt: skip


def _rows_yaml(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"The YAML does not parse: {exc}", field="text") from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InvalidInput("The YAML is a list of monitors (- name: …).", field="text")
    return data


def _rows_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict[str, Any]] = []
    for raw in reader:
        row: dict[str, Any] = {"settings": {}}
        for key, value in raw.items():
            if key is None or value in (None, ""):
                continue
            key = key.strip()
            if key.startswith("setting."):
                row["settings"][key.removeprefix("setting.")] = _scalar(value)
            elif key == "conditions":
                row["conditions"] = [c.strip() for c in value.split(" ; ") if c.strip()]
            else:
                row[key] = value.strip()
        rows.append(row)
    return rows


def _scalar(value: str) -> Any:
    text = value.strip()
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    return int(text) if text.isdigit() else text


def monitors_import(*, actor: Any, client: Client, text: str, format: str, via: str = "api") -> list[Monitor]:
    """Create every monitor in `text`, or none: InvalidInput names the first row at fault."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"At most {MAX_TEXT:,} characters per import.", field="text")
    if format not in {"yaml", "csv"}:
        raise InvalidInput("The format is yaml or csv.", field="format")
    rows = _rows_yaml(text) if format == "yaml" else _rows_csv(text)
    if not rows:
        raise InvalidInput("There is no monitor to import.", field="text")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"At most {MAX_ROWS} monitors per import.", field="text")
    services = {s.name: s for s in Service.objects.filter(client=client)}
    created: list[Monitor] = []
    with transaction.atomic():
        for number, row in enumerate(rows, start=1):
            try:
                created.append(_create(actor, client, services, row, via))
            except InvalidInput as exc:
                raise InvalidInput(
                    f"Monitor {number} ({row.get('name') or 'no name'}): {exc.message}"
                ) from None
    return created


def _create(
    actor: Any, client: Client, services: dict[str, Service], row: dict[str, Any], via: str
) -> Monitor:
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        raise InvalidInput(f"unknown fields {', '.join(unknown)}")
    fields = dict(row)
    service = services.get(str(fields.pop("service", "")))
    if service is None:
        raise InvalidInput(f"{client.name} has no service named '{row.get('service', '')}'")
    parent_name = fields.pop("parent", None)
    parent = None
    if parent_name:
        parent = Monitor.objects.filter(client=client, name=str(parent_name)).first()
        if parent is None:
            raise InvalidInput(f"no monitor named '{parent_name}' to depend on")
    for name in _NUMBERS:
        if name in fields:
            try:
                fields[name] = int(fields[name])
            except (TypeError, ValueError):
                raise InvalidInput(f"{name} is a whole number") from None
    if isinstance(fields.get("is_enabled"), str):
        fields["is_enabled"] = fields["is_enabled"].lower() in {"true", "yes", "1"}
    return monitor_create(actor=actor, client=client, service=service, parent=parent, via=via, **fields)
