"""Reads for users and teams, scoped by the access module."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from watchkeeper.accounts.models import CLIENT_ROLES, MSP_ROLES, Role, Team, TeamMembership, User
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.tenancy import access


def user_list(*, actor: access.ActorLike, query: str = "", role: str = "") -> QuerySet[User]:
    """MSP staff see colleagues and the portal users of their clients; a client admin sees
    their own client's users; a client user sees only themselves."""
    me = access.as_actor(actor).user
    qs = User.objects.select_related("client")
    if me.role == Role.CLIENT_USER:
        qs = qs.filter(pk=me.pk)
    elif me.role == Role.CLIENT_ADMIN:
        qs = qs.filter(client_id=me.client_id) if me.client_id is not None else qs.none()
    elif not access.sees_every_client(actor):
        visible = access.visible_clients(actor).values("pk")
        qs = qs.filter(Q(role__in=MSP_ROLES) | Q(client__in=visible))
    if access.as_actor(actor).token_client_id is not None and me.role not in CLIENT_ROLES:
        qs = qs.filter(Q(role__in=MSP_ROLES) | Q(client_id=access.as_actor(actor).token_client_id))
    if query:
        qs = qs.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    if role:
        if role not in Role.values:
            raise InvalidInput(f"Unknown role '{role}'. Use one of: {', '.join(Role.values)}.", field="role")
        qs = qs.filter(role=role)
    return qs.order_by("full_name", "email")


def user_access(*, actor: access.ActorLike, pk: int) -> User:
    user = user_list(actor=actor).filter(pk=pk).first()
    if user is None:
        raise NotFound(f"No user {pk}.")
    return user


def team_list(*, actor: access.ActorLike) -> QuerySet[Team]:
    if not access.can(actor, "teams.view"):
        return Team.objects.none()
    members = TeamMembership.objects.select_related("user").order_by("-is_lead", "user__full_name")
    return Team.objects.prefetch_related(Prefetch("teammembership_set", queryset=members)).order_by("name")


def team_access(*, actor: access.ActorLike, slug: str) -> Team:
    team = team_list(actor=actor).filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team '{slug}'.")
    return team
