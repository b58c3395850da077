"""The access module: the one place that decides what an actor may see and do.

Views, API endpoints, templates and the CLI ask here; none re-implements a check.

Rules (docs/adr/0002-tenancy-and-access.md):
- MSP owners and admins see every client. Managers and technicians see every client
  when `all_clients` is set, otherwise only their assigned clients.
- Portal users (client admin, client user) see exactly their own client.
- An API token may narrow its user's view to one client and to scopes.
- Another tenant's object is `NotFound` (404), never `Forbidden`: no existence leak.
- A write that *references* an object the actor cannot see is `InvalidInput` (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet

from watchkeeper.accounts.models import CLIENT_ROLES, MSP_ADMIN_ROLES, MSP_ROLES, Role, User
from watchkeeper.core.errors import Forbidden, InvalidInput, NotFound
from watchkeeper.tenancy.models import Client

M = TypeVar("M", bound=models.Model)

SCOPES = ("read", "write", "admin")


@dataclass(frozen=True)
class Actor:
    """A signed-in user, possibly narrowed by the API token they used."""

    user: User
    token_client_id: int | None = None
    scopes: frozenset[str] | None = None  # None: a browser session, the user's full rights

    @property
    def role(self) -> str:
        return self.user.role

    def __str__(self) -> str:
        return self.user.email


ActorLike = Actor | User

# Who did something, for timelines and audit: a console user, an API token's actor, or a named
# non-person ("system", "cli", an integration's name).
By = Actor | User | str


def user_of(by: By) -> User | None:
    """The person behind `by`; None for a named non-person."""
    return by.user if isinstance(by, Actor) else by if isinstance(by, User) else None


# Actions that are not about one client's objects, and the roles that may take them.
_GLOBAL: dict[str, frozenset[str]] = {
    "clients.create": MSP_ADMIN_ROLES,
    "users.manage": MSP_ADMIN_ROLES,
    "teams.manage": MSP_ADMIN_ROLES | {Role.MANAGER},
    "security.manage": MSP_ADMIN_ROLES,
    # The outgoing-mail server (console settings and the test e-mail): installation-wide.
    "mail.manage": MSP_ADMIN_ROLES,
    # The MSP's brand shown to every client (portal, sign-in, client e-mails, PDF reports).
    "branding.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "branding.manage": MSP_ADMIN_ROLES,
    # The installation's own health (the console's banner when the inbox is behind).
    "operations.view": MSP_ADMIN_ROLES,
    "policy.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "policy.edit": MSP_ADMIN_ROLES,
    "audit.view": MSP_ADMIN_ROLES | {Role.MANAGER},
    "users.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "teams.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "console.use": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "portal.use": CLIENT_ROLES,
    # On-call schedules are MSP data, also when dedicated to one client (see `scope_shared`).
    "schedules.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "schedules.manage": MSP_ADMIN_ROLES | {Role.MANAGER},
    "schedules.override": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    # Paging: MSP-wide and client escalation policies; one's own contact methods and rules.
    "escalation.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "escalation.manage": MSP_ADMIN_ROLES | {Role.MANAGER},
    "paging.self": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    # Team chat: channels (MSP-wide NOC and per client), slash-command endpoints, chat user links.
    "chat.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "chat.manage": MSP_ADMIN_ROLES | {Role.MANAGER},
    # The Django admin (accounts.admin): who enters it, who changes and deletes there. A
    # model admin marked `manager_can_change` (teams, clients and what they own) asks
    # "admin.change_by_managers" instead of "admin.change"; API tokens are admins' alone.
    "admin.enter": MSP_ADMIN_ROLES | {Role.MANAGER},
    "admin.change": MSP_ADMIN_ROLES,
    "admin.change_by_managers": MSP_ADMIN_ROLES | {Role.MANAGER},
    "admin.delete": MSP_ADMIN_ROLES,
    "admin.tokens": MSP_ADMIN_ROLES,
    # The knowledge base and runbooks (ADR 0042): MSP staff read and write them; a row
    # dedicated to one client is for those who may see that client (`can_write`).
    "knowledge.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "knowledge.manage": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
}

# Actions on one client's objects, for the roles that can see that client.
_PER_CLIENT: dict[str, frozenset[str]] = {
    "client.view": frozenset(Role),
    "client.edit": MSP_ADMIN_ROLES | {Role.MANAGER},
    "services.manage": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "sites.manage": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "contacts.manage": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN, Role.CLIENT_ADMIN},
    # Alerts, incidents and integrations are MSP work: portal users see none of them (yet).
    "alerts.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "incidents.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "incidents.open": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "incidents.respond": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    "integrations.view": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
    # The client portal: a client's own people see that client's incidents (client-visible
    # entries only: the selectors never load internal ones), raise requests and comment.
    "portal.incidents": CLIENT_ROLES,
    "portal.request": CLIENT_ROLES,
    "portal.comment": CLIENT_ROLES,
    # Their client's articles marked client-visible, in the portal (ADR 0042).
    "portal.knowledge": CLIENT_ROLES,
    # Includes seeing the secret key; a token also needs the write scope for it.
    "integrations.manage": MSP_ADMIN_ROLES | {Role.MANAGER, Role.TECHNICIAN},
}

# The token scope each action needs.
_SCOPE_OF = {
    **{action: "admin" for action in ("clients.create", "users.manage", "teams.manage", "security.manage")},
    "policy.edit": "admin",
    "mail.manage": "admin",
    "branding.manage": "admin",
    "knowledge.manage": "write",
    "schedules.manage": "write",
    "schedules.override": "write",
    "escalation.manage": "write",
    "paging.self": "write",
    "chat.manage": "write",
    "client.edit": "write",
    "services.manage": "write",
    "sites.manage": "write",
    "contacts.manage": "write",
    "incidents.open": "write",
    "incidents.respond": "write",
    "portal.request": "write",
    "portal.comment": "write",
    "integrations.manage": "write",
}


def as_actor(actor: ActorLike) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(user=actor)


def _has_scope(actor: Actor, action: str) -> bool:
    if actor.scopes is None:
        return True
    return _SCOPE_OF.get(action, "read") in actor.scopes or "admin" in actor.scopes


def visible_clients(actor: ActorLike) -> QuerySet[Client]:
    """Every client this actor may see (inactive clients included, for history)."""
    actor = as_actor(actor)
    user = actor.user
    qs = Client.objects.all()
    if not user.is_active:
        return qs.none()
    if user.role in CLIENT_ROLES:
        qs = qs.filter(pk=user.client_id) if user.client_id is not None else qs.none()
    elif user.role not in MSP_ADMIN_ROLES and not user.all_clients:
        qs = qs.filter(pk__in=user.assigned_clients.values("pk"))
    if actor.token_client_id is not None:
        qs = qs.filter(pk=actor.token_client_id)
    return qs


def sees_every_client(actor: ActorLike) -> bool:
    actor = as_actor(actor)
    user = actor.user
    return (
        actor.token_client_id is None
        and user.is_active
        and (user.role in MSP_ADMIN_ROLES or (user.role not in CLIENT_ROLES and user.all_clients))
    )


def staff_for_client(client: Client | None) -> QuerySet[User]:
    """Active MSP staff who may work on `client` (every MSP user when None): owners and admins,
    those with `all_clients`, and those assigned to it. The per-user rule of `visible_clients`,
    asked the other way round."""
    staff = User.objects.filter(is_active=True, role__in=MSP_ROLES)
    if client is None:
        return staff
    works = models.Q(role__in=MSP_ADMIN_ROLES) | models.Q(all_clients=True)
    assigned = models.Q(pk__in=client.assigned_staff.values("pk"))
    return staff.filter(works | assigned)


def portal_users_for(client: Client) -> QuerySet[User]:
    """Active portal users (client admins and users) of `client`: the client's own people who
    may read its incidents in the portal, and whom client communication may address."""
    return User.objects.filter(is_active=True, role__in=CLIENT_ROLES, client=client)


def may_work_on(user: User, *, client_id: int) -> bool:
    """Whether `user` is MSP staff who may work on the client's incidents (be their owner, a
    responder, the one they are handed to): `staff_for_client` asked about one person."""
    return user.role in MSP_ROLES and visible_clients(user).filter(pk=client_id).exists()


def managers_for(client: Client) -> QuerySet[User]:
    """Active managers who may see `client` (assigned to it, or to every client): the people
    SLA warnings and breaches escalate to."""
    return staff_for_client(client).filter(role=Role.MANAGER)


def is_staff_role(role: str | None) -> bool:
    """Whether `role` is one of the MSP's own (owner, admin, manager, technician), as opposed
    to a client's portal roles; None (no person: an integration, the system) is not."""
    return role in MSP_ROLES


def is_active_staff(user: User) -> bool:
    """An active MSP user: someone who can be on call or be paged."""
    return user.is_active and is_staff_role(user.role)


def is_msp_admin(user: User) -> bool:
    """An MSP owner or admin: sees every client and may manage the installation."""
    return user.role in MSP_ADMIN_ROLES


def scope(qs: QuerySet[M], actor: ActorLike, *, field: str = "client") -> QuerySet[M]:
    """Narrow a queryset of client-owned rows to what the actor may see."""
    if sees_every_client(actor):
        return qs
    return qs.filter(**{f"{field}__in": visible_clients(actor).values("pk")})


def scope_shared(qs: QuerySet[M], actor: ActorLike, *, field: str = "client") -> QuerySet[M]:
    """Narrow MSP rows that are either shared by every client (`field` empty) or dedicated to
    one client: shared rows plus those of the clients the actor may see."""
    if sees_every_client(actor):
        return qs
    visible = visible_clients(actor).values("pk")
    return qs.filter(models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__in": visible}))


def scope_for(qs: QuerySet[M], actor: ActorLike, action: str, *, field: str = "client") -> QuerySet[M]:
    """Narrow a queryset to the clients on which the actor may take the per-client `action`:
    none at all when the actor's role or token scope does not allow it."""
    actor = as_actor(actor)
    if action not in _PER_CLIENT:
        raise ValueError(f"Unknown per-client action {action!r}")
    if not actor.user.is_active or not _has_scope(actor, action) or actor.role not in _PER_CLIENT[action]:
        return qs.none()
    return scope(qs, actor, field=field)


def client_access(actor: ActorLike, slug: str) -> Client:
    """The client by slug, or NotFound when it does not exist *for this actor*."""
    client = visible_clients(actor).filter(slug=slug).first() if "\x00" not in slug else None
    if client is None:
        raise NotFound(f"No client '{slug}'.")
    return client


def object_access(actor: ActorLike, qs: QuerySet[M], *, field: str = "client", **lookup: Any) -> M:
    """One client-owned object, or NotFound (404) when it is missing or another tenant's."""
    obj = scope(qs, actor, field=field).filter(**lookup).first()
    if obj is None:
        raise NotFound(f"No {qs.model._meta.verbose_name} matching {_describe(lookup)}.")
    return obj


def reference(actor: ActorLike, qs: QuerySet[M], *, label: str, field: str = "client", **lookup: Any) -> M:
    """An object a write points at; InvalidInput (400) when the actor cannot see it."""
    obj = scope(qs, actor, field=field).filter(**lookup).first()
    if obj is None:
        raise InvalidInput(f"Unknown {label}: {_describe(lookup)}.", field=label)
    return obj


def client_reference(actor: ActorLike, slug: str) -> Client:
    # A NUL is no slug (and PostgreSQL refuses it as a query parameter: a 500, not a 400).
    client = visible_clients(actor).filter(slug=slug).first() if "\x00" not in slug else None
    if client is None:
        raise InvalidInput(f"Unknown client '{slug}'.", field="client")
    return client


def can(actor: ActorLike, action: str, *, client: Client | None = None) -> bool:
    actor = as_actor(actor)
    user = actor.user
    if not user.is_active or not _has_scope(actor, action):
        return False
    if action in _GLOBAL:
        return user.role in _GLOBAL[action]
    if action in _PER_CLIENT:
        if client is None:
            raise ValueError(f"Action {action!r} needs the client it applies to")
        return user.role in _PER_CLIENT[action] and visible_clients(actor).filter(pk=client.pk).exists()
    raise ValueError(f"Unknown action {action!r}")


def require(actor: ActorLike, action: str, *, client: Client | None = None) -> None:
    """Raise Forbidden unless the actor may take `action` (on `client`'s objects)."""
    if not can(actor, action, client=client):
        raise Forbidden("You do not have permission to do this.")


def can_write(actor: ActorLike, action: str, *, client: Client | None) -> bool:
    """Whether the actor may take the installation-wide `action` on a row dedicated to `client`
    or, with `client` None, shared by every client (an MSP-wide escalation policy, the NOC
    default). A shared row serves clients the actor may not see: a person restricted to some
    clients, or a token restricted to one, may read it (it serves their clients too) but never
    change it, as the change would reach the others (ADR 0027)."""
    if not can(actor, action):
        return False
    if client is None:
        return sees_every_client(actor)
    return visible_clients(actor).filter(pk=client.pk).exists()


def require_write(actor: ActorLike, action: str, *, client: Client | None) -> None:
    """Raise unless `can_write`: Forbidden (403) for a shared row the actor may read but not
    change, NotFound (404) for a row of a client the actor cannot see."""
    require(actor, action)
    if client is None and not sees_every_client(actor):
        raise Forbidden(
            "This is shared by every client: only someone who works on every client (with a token "
            "not restricted to one client) may change it."
        )
    if client is not None and not visible_clients(actor).filter(pk=client.pk).exists():
        raise NotFound(f"No client '{client.slug}'.")


def _describe(lookup: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in lookup.items())
