"""Writing a validated policy document into the database.

Used by `services.policy_import_yaml` and by data migration 0002, which passes its
historical models through `get_model`; so this module names models only through it.
Rows are matched by key and updated in place rather than deleted and recreated: their
ids stay stable for anything that points at a level, priority or category.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps

from watchkeeper.core import clock
from watchkeeper.policy.documents import ItemDoc, PolicyDocument

POLICY_PK = 1  # there is one policy; audit entries and selectors refer to it by this id

ModelGetter = Callable[[str], Any]


def _current_model(name: str) -> Any:
    return apps.get_model("policy", name)


def _item_rows(items: list[ItemDoc]) -> list[dict[str, Any]]:
    return [
        {"key": item["key"], "name": item["name"], "description": item["description"], "position": index}
        for index, item in enumerate(items, start=1)
    ]


def _sync(model: Any, policy: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Any]]:
    """Create or update one row per entry of `rows` (matched by key).

    Returns the rows by key, and the rows the document no longer has: the caller deletes
    those once nothing protected points at them any more.
    """
    manager = model._default_manager
    existing = {obj.key: obj for obj in manager.filter(policy=policy)}
    kept: dict[str, Any] = {}
    for row in rows:
        obj = existing.pop(row["key"], None)
        if obj is None:
            obj = manager.create(policy=policy, **row)
        else:
            changed = [name for name, value in row.items() if getattr(obj, name) != value]
            for name in changed:
                setattr(obj, name, row[name])
            if changed:
                obj.save(update_fields=changed)
        kept[row["key"]] = obj
    return kept, list(existing.values())


def _delete(objects: list[Any]) -> None:
    for obj in objects:
        obj.delete()


def _policy_row(document: PolicyDocument, get_model: ModelGetter) -> Any:
    values: dict[str, object] = {
        "title": document["title"],
        "owner": document["owner"],
        "version": document["version"],
        "last_reviewed": document["last_reviewed"],
        "review_interval_days": document["review_interval_days"],
        "updated_at": clock.now(),
    }
    model = get_model("Policy")
    # Migration 0002 stores the default policy with the historical model, which predates the
    # later fields: those come with their own migration's default.
    if any(field.name == "resume_on_client_reply" for field in model._meta.get_fields()):
        values["resume_on_client_reply"] = document["resume_on_client_reply"]
    if any(field.name == "review_rules" for field in model._meta.get_fields()):
        values["review_rules"] = dict(document["reviews"])
    policy, _ = model._default_manager.update_or_create(pk=POLICY_PK, defaults=values)
    return policy


def _store_matrix(
    document: PolicyDocument, policy: Any, levels: dict[str, dict[str, Any]], get_model: ModelGetter
) -> None:
    # Cells carry nothing of their own worth keeping, so they are simply replaced.
    model = get_model("MatrixCell")
    model._default_manager.filter(policy=policy).delete()
    model._default_manager.bulk_create(
        model(
            policy=policy,
            impact=levels["impact"][impact],
            urgency=levels["urgency"][urgency],
            priority=levels["priority"][priority],
        )
        for impact, row in document["matrix"].items()
        for urgency, priority in row.items()
    )


def _store_severities(
    document: PolicyDocument, policy: Any, levels: dict[str, dict[str, Any]], get_model: ModelGetter
) -> None:
    rows = [
        {
            "key": severity["key"],
            "name": severity["name"],
            "description": severity["description"],
            "position": index,
            "default_impact_id": levels["impact"][severity["default_impact"]].pk,
            "default_urgency_id": levels["urgency"][severity["default_urgency"]].pk,
        }
        for index, severity in enumerate(document["severities"], start=1)
    ]
    _, stale = _sync(get_model("Severity"), policy, rows)
    _delete(stale)


def policy_document_store(document: PolicyDocument, *, get_model: ModelGetter = _current_model) -> Any:
    """Make the database hold exactly `document`. The caller holds a transaction."""
    policy = _policy_row(document, get_model)
    sections = [
        {"key": s["key"], "name": s["title"], "description": s["body"], "position": index}
        for index, s in enumerate(document["sections"], start=1)
    ]
    _delete(_sync(get_model("Section"), policy, sections)[1])
    _delete(_sync(get_model("Category"), policy, _item_rows(document["categories"]))[1])
    levels: dict[str, dict[str, Any]] = {}
    stale: list[Any] = []
    for name, model_name, items in (
        ("impact", "ImpactLevel", document["impact_levels"]),
        ("urgency", "UrgencyLevel", document["urgency_levels"]),
        ("priority", "Priority", document["priorities"]),
    ):
        levels[name], removed = _sync(get_model(model_name), policy, _item_rows(items))
        stale.extend(removed)
    _store_matrix(document, policy, levels, get_model)
    _store_severities(document, policy, levels, get_model)
    # Severities PROTECT their levels, so removed levels go only after severities moved off them.
    _delete(stale)
    return policy
