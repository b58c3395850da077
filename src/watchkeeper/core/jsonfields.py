"""A JSON column without one top-level member, computed by the database in an UPDATE."""

from __future__ import annotations

from typing import Any

from django.db.models import Func, JSONField, Value


class JsonWithout(Func):
    """`column` without its top-level member `name` (unchanged when it has none).

    In the database rather than in Python so that a bulk `update()` can drop it from many rows
    in the statement it already runs, without reading the rows back."""

    output_field = JSONField()

    def __init__(self, column: str, name: str, **extra: Any) -> None:
        super().__init__(column, Value(name), **extra)
        self.member = name

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column = self.source_expressions[0]
        return Func(column, Value(f"$.{self.member}"), function="json_remove").as_sql(
            compiler, connection, **extra
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)
