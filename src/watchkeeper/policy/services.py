"""Writes of the incident policy: export and import as YAML (CLI, console, later the API)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from watchkeeper.audit.services import audit_record
from watchkeeper.policy import selectors
from watchkeeper.policy.documents import document_jsonable
from watchkeeper.policy.models import Policy
from watchkeeper.policy.storage import POLICY_PK, policy_document_store
from watchkeeper.policy.yamlio import PolicyFileError, policy_yaml_dump, policy_yaml_parse
from watchkeeper.tenancy import access

__all__ = ["PolicyFileError", "policy_export_yaml", "policy_import_yaml"]


def policy_export_yaml() -> str:
    """The whole policy as canonical YAML: importing it and exporting again gives the same bytes."""
    return policy_yaml_dump(selectors.policy_document())


def policy_import_yaml(text: str, *, actor: Any, via: str = "console") -> None:
    """Replace the whole policy with the file's, or change nothing.

    `actor` is a user or access Actor (needs "policy.edit"), or a label such as "cli" for
    operators at the console of the machine. The file is validated completely before the
    first write; PolicyFileError names the line and field of the first problem.
    """
    if not isinstance(actor, str):
        access.require(actor, "policy.edit")
    document = policy_yaml_parse(text)
    with transaction.atomic():
        # Serialises concurrent imports (PostgreSQL); SQLite's IMMEDIATE transactions already do.
        exists = Policy.objects.select_for_update().filter(pk=POLICY_PK).exists()
        before = document_jsonable(selectors.policy_document()) if exists else None
        policy_document_store(document)
        audit_record(
            actor=actor,
            action="policy.import",
            object_type="policy.policy",
            object_id=str(POLICY_PK),
            object_repr=document["title"][:200],
            before=before,
            after=document_jsonable(document),
            via=via,
        )
