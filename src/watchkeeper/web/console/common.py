"""What the console's incident pages share: the signed-in user, their time zone, and the people
offered as owner or responder."""

from __future__ import annotations

from watchkeeper.accounts import selectors as accounts
from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client


def console_user(request: AuthenticatedHttpRequest) -> User:
    """The signed-in MSP user; portal users have no console (403). Pages about one incident
    look it up first, so another tenant's incident is a 404 before any 403."""
    user = request.user
    access.require(user, "console.use")
    return user


def owner_choices(user: User, client: Client | None) -> list[User]:
    """Colleagues to offer as owner: MSP staff who work on this client (any client: None). A
    convenience list only; incident_assign checks whoever is chosen."""
    staff = accounts.user_list(actor=user).filter(pk__in=access.staff_for_client(client).values("pk"))
    return list(staff.order_by("full_name", "email")[:200])


def new_owner(user: User, value: str) -> User | None:
    """The owner a form names: "me", a user id (one the user cannot see is a 400), or nobody."""
    if not value:
        return None
    if value == "me":
        return user
    try:
        return accounts.user_access(actor=user, pk=int(value))
    except NotFound:
        raise InvalidInput(f"Unknown user {value}.", field="owner") from None
