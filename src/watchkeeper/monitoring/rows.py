"""Saving many monitors' columns in one statement per batch: an UPDATE by primary key run with
executemany. Django's bulk_update builds one CASE expression per column and row, which cost more
than the checks themselves at thousands of results a second (bench/monitor)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field

from watchkeeper.monitoring.models import Monitor


def monitors_save(monitors: Sequence[Monitor], fields: Sequence[str]) -> None:
    if not monitors:
        return
    meta = Monitor._meta
    columns: list[Field[Any, Any]] = [meta.get_field(name) for name in fields]  # type: ignore[misc]
    q = connection.ops.quote_name
    assignments = ", ".join(f"{q(field.column or field.name)} = %s" for field in columns)
    sql = f"UPDATE {q(meta.db_table)} SET {assignments} WHERE {q('id')} = %s"  # noqa: S608 — names, not data
    params = [
        [field.get_db_prep_save(getattr(m, field.attname), connection) for field in columns] + [m.pk]
        for m in monitors
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
