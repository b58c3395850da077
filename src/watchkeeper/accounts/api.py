"""REST adapters for users and teams."""

from __future__ import annotations

from django.db.models import QuerySet
from ninja import Query, Router

from watchkeeper.accounts import selectors
from watchkeeper.accounts.models import Role, Team, User
from watchkeeper.accounts.schemas import TeamOut, UserOut
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.tenancy.http import ApiRequest

router = Router()
_ROLE = Query("", description=f"One of {', '.join(Role.values)}; empty: every role")


@router.get("/users", response=list[UserOut], tags=["users"])
@paginated()
def list_users(request: ApiRequest, q: str = "", role: str = _ROLE) -> QuerySet[User]:
    return selectors.user_list(actor=request.auth, query=q, role=role)


@router.get("/users/me", response=UserOut, tags=["users"])
def get_me(request: ApiRequest) -> User:
    return request.auth.user


@router.get("/users/{user_id}", response=UserOut, tags=["users"])
def get_user(request: ApiRequest, user_id: Id) -> User:
    return selectors.user_access(actor=request.auth, pk=user_id)


@router.get("/teams", response=list[TeamOut], tags=["teams"])
@paginated()
def list_teams(request: ApiRequest) -> QuerySet[Team]:
    return selectors.team_list(actor=request.auth)


@router.get("/teams/{slug}", response=TeamOut, tags=["teams"])
def get_team(request: ApiRequest, slug: str) -> Team:
    return selectors.team_access(actor=request.auth, slug=slug)
