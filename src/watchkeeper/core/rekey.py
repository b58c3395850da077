"""Re-encrypt every stored secret under the newest encryption key (`watchkeeper secrets rotate`).

Every column named `*_encrypted` of every installed model holds a `core.crypto` token: that
naming rule (which the audit log's snapshot also relies on) is how this finds them, so a new
encrypted column is covered without being listed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

from watchkeeper.core.crypto import SecretUnreadable, secret_reencrypt

Progress = Callable[[int, int, str], None]  # done, total, what is being done


@dataclass
class RotationResult:
    rotated: int = 0
    unreadable: list[str] = field(default_factory=list)  # "app.Model #pk field"


def encrypted_columns() -> Iterator[tuple[type[models.Model], str]]:
    for model in apps.get_models():
        for column in model._meta.concrete_fields:
            if column.name.endswith("_encrypted"):
                yield model, column.name


def secrets_rotate(*, progress: Progress | None = None) -> RotationResult:
    """Re-encrypt every non-empty secret; unreadable ones are left as they are and listed.

    Each row is swapped only if it still holds the token that was read (compare-and-set), so
    a secret changed meanwhile by the console is not overwritten with an older value."""
    columns = list(encrypted_columns())
    total = sum(model._default_manager.exclude(**{name: ""}).count() for model, name in columns)
    result, done = RotationResult(), 0
    for model, name in columns:
        label = f"{model._meta.label}.{name}"
        rows = model._default_manager.exclude(**{name: ""}).values_list("pk", name)
        for pk, token in rows.iterator():
            done += 1
            try:
                fresh = secret_reencrypt(token)
            except SecretUnreadable:
                result.unreadable.append(f"{model._meta.label} #{pk} {name}")
            else:
                result.rotated += model._default_manager.filter(pk=pk, **{name: token}).update(
                    **{name: fresh}
                )
            if progress is not None:
                progress(done, total, label)
    return result
