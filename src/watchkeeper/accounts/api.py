"""REST adapters for users and teams."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from watchkeeper.accounts import selectors
from watchkeeper.accounts.models import Team, User
from watchkeeper.accounts.schemas import TeamOut, UserOut
from watchkeeper.tenancy.access import Actor

router = Router()


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined]


@router.get("/users", response=list[UserOut], tags=["users"])
@paginate(LimitOffsetPagination)
def list_users(request: HttpRequest, q: str = "", role: str = "") -> QuerySet[User]:
    return selectors.user_list(actor=_actor(request), query=q, role=role)


@router.get("/users/me", response=UserOut, tags=["users"])
def get_me(request: HttpRequest) -> User:
    return _actor(request).user


@router.get("/users/{user_id}", response=UserOut, tags=["users"])
def get_user(request: HttpRequest, user_id: int) -> User:
    return selectors.user_access(actor=_actor(request), pk=user_id)


@router.get("/teams", response=list[TeamOut], tags=["teams"])
@paginate(LimitOffsetPagination)
def list_teams(request: HttpRequest) -> QuerySet[Team]:
    return selectors.team_list(actor=_actor(request))


@router.get("/teams/{slug}", response=TeamOut, tags=["teams"])
def get_team(request: HttpRequest, slug: str) -> Team:
    return selectors.team_access(actor=_actor(request), slug=slug)
