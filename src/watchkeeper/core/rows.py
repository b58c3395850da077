"""Lean single-row writes for hot paths (the engine's inbox batches).

Building a statement through the ORM costs far more than running it: on the 2-core reference
machine a one-row INSERT through `Model.objects.create()` took about 1 ms of Python against 20 µs
in SQLite. These helpers keep the model's own field logic (defaults from `__init__`, `pre_save`,
`get_db_prep_save`, so values are stored exactly as the ORM stores them) and cache the statement
text per model. They send no model signals: use them only for models that have no receivers and
no `save()` logic beyond what is checked here (see docs/adr/0016).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)

_inserts: dict[tuple[type[Model], str], tuple[str, list[Field[Any, Any]]]] = {}
_updates: dict[tuple[type[Model], str, tuple[str, ...]], tuple[str, list[Field[Any, Any]]]] = {}


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _insert_statement(model: type[Model]) -> tuple[str, list[Field[Any, Any]]]:
    key = (model, connection.vendor)
    if key not in _inserts:
        meta, q = model._meta, connection.ops.quote_name
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        columns = ", ".join(q(str(field.column)) for field in fields)
        values = ", ".join(["%s"] * len(fields))
        pk = _field(model, meta.pk.name if meta.pk else "id")
        sql = f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES ({values}) RETURNING {q(str(pk.column))}"  # noqa: S608 — names, not data
        _inserts[key] = (sql, fields)
    return _inserts[key]


def row_insert(obj: M) -> M:
    """INSERT `obj` (a new instance) in one statement and set its primary key."""
    if obj.pk is not None:
        raise ValueError("row_insert() inserts new rows only")
    sql, fields = _insert_statement(type(obj))
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding, obj._state.db = False, "default"
    return obj


def row_update(obj: Model, fields: list[str]) -> None:
    """UPDATE the given fields of `obj` by primary key (what `save(update_fields=…)` does)."""
    names = tuple(fields)
    key = (type(obj), connection.vendor, names)
    if key not in _updates:
        meta, q = obj._meta, connection.ops.quote_name
        concrete = [_field(type(obj), name) for name in names]
        pk = _field(type(obj), meta.pk.name if meta.pk else "id")
        assignments = ", ".join(f"{q(str(field.column))} = %s" for field in concrete)
        sql = f"UPDATE {q(meta.db_table)} SET {assignments} WHERE {q(str(pk.column))} = %s"  # noqa: S608
        _updates[key] = (sql, concrete)
    sql, concrete = _updates[key]
    params = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in concrete]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])


ROWS_PER_INSERT = 100  # well under SQLite's limit on bound parameters for models of ~40 columns


def rows_insert(objs: list[M]) -> list[M]:
    """INSERT the new instances `objs` (all of one model) with one multi-row statement per
    ROWS_PER_INSERT, and set their primary keys: `row_insert` for a batch. The keys come back
    sorted: within one statement both databases number rows in the order of its VALUES, while
    the order of RETURNING itself is not promised."""
    if not objs:
        return objs
    if any(obj.pk is not None for obj in objs):
        raise ValueError("rows_insert() inserts new rows only")
    sql, fields = _insert_statement(type(objs[0]))
    head, returning = sql.split(" VALUES ", 1)
    row, tail = returning.split(") ", 1)
    for start in range(0, len(objs), ROWS_PER_INSERT):
        chunk = objs[start : start + ROWS_PER_INSERT]
        params = [
            field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in chunk for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"{head} VALUES {', '.join([row + ')'] * len(chunk))} {tail}", params)
            keys = sorted(int(found[0]) for found in cursor.fetchall())
        for obj, pk in zip(chunk, keys, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, "default"
    return objs
