"""Domain errors that every adapter (HTML, API, CLI) maps to one status code."""

from __future__ import annotations


class WatchkeeperError(Exception):
    """Base class; `status` is the HTTP status an adapter answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(WatchkeeperError):
    """The object does not exist *for this actor* (other tenants' objects included)."""

    status = 404


class Forbidden(WatchkeeperError):
    """The actor may see the object but not perform this action."""

    status = 403


class InvalidInput(WatchkeeperError):
    """Input a person can fix; the message says how."""

    status = 400


class Conflict(WatchkeeperError):
    status = 409


class RateLimited(WatchkeeperError):
    """Too many of one action in a window; `retry_after`: seconds until it is allowed again."""

    status = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, retry_after)


class TooLarge(WatchkeeperError):
    """An upload or body over its limit; the message says the limit."""

    status = 413
