"""Page arithmetic shared by HTML lists, and the one limit/offset pagination of every API list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, get_type_hints

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja import pagination as ninja_pagination
from ninja.pagination import LimitOffsetPagination, PaginationBase

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

API_DEFAULT_LIMIT = 50
API_MAX_LIMIT = 500
# Far beyond any list's length, and far below what a database's OFFSET holds (a 64-bit integer:
# past it SQLite and PostgreSQL refuse the query, which used to be a 500).
API_MAX_OFFSET = 1_000_000_000


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


class ApiPagination(LimitOffsetPagination):
    """`limit` and `offset`, both bounded: out of range answers 400 naming the limit. Every API
    list uses this one (`@paginated()`); tests/api check that none is unbounded."""

    class Input(Schema):
        limit: Annotated[int, Field(ge=1, le=API_MAX_LIMIT)] = API_DEFAULT_LIMIT
        offset: Annotated[int, Field(ge=0, le=API_MAX_OFFSET)] = 0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=API_MAX_LIMIT, **kwargs)


View = TypeVar("View", bound=Callable[..., Any])


def paginated(pagination: type[PaginationBase] = ApiPagination) -> Callable[[View], View]:
    """`@paginate(pagination)`, for every API list. ninja reads a view's parameters through
    the wrapper `paginate` puts around it, and resolves postponed annotations in the wrapper's
    module (ninja's), where the view's own names (`Id`, say) are unknown: a 500 on every call.
    So the annotations are resolved here first, in the view's module."""

    def decorate(view: View) -> View:
        view.__annotations__ = get_type_hints(view, include_extras=True)
        return ninja_pagination.paginate(pagination)(view)

    return decorate
