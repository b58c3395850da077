"""Page arithmetic shared by HTML lists (the API uses ninja's limit/offset)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    size: int
    count: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate(qs: QuerySet[Any], *, page: str | int | None, size: int = DEFAULT_PAGE_SIZE) -> Page:
    try:
        number = max(1, int(page or 1))
    except ValueError:
        number = 1
    size = min(max(1, size), MAX_PAGE_SIZE)
    count = qs.count()
    last = max(1, -(-count // size))
    number = min(number, last)
    items = list(qs[(number - 1) * size : number * size])
    return Page(items=items, number=number, size=size, count=count)
