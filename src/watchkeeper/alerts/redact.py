"""Keep integration keys out of what is stored and shown about alerts (ADR 0025).

A PagerDuty event carries its `routing_key` in the body, some Opsgenie and webhook senders put
their key in the payload too, and an e-mail alert's recipient is `<key>@<domain>`. Whoever may
read an alert (a read-only API token, a technician of that client) must not learn a working
ingest key from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
# PagerDuty's credential field. The web stores PagerDuty bodies as received (the fast path does
# not re-serialise them); the engine drops this member from the inbox row once it has processed it.
ROUTING_KEY = "routing_key"

# Field names, lower case without "_" and "-", whose value is a sender's credential.
_SECRET_NAMES = frozenset({"routingkey", "servicekey", "integrationkey", "apikey", "geniekey"})
_DEPTH_LIMIT = 32


def _secret_name(name: str) -> bool:
    return name.lower().replace("_", "").replace("-", "") in _SECRET_NAMES


def payload_redact(value: Any, *, keys: Iterable[str | None] = ()) -> Any:
    """`value` with credential fields and every occurrence of `keys` replaced by REDACTED.

    Returns the same object when there is nothing to hide (the common case costs one walk and
    no copy)."""
    secrets = tuple(key for key in keys if key)
    return _walk(value, secrets, 0)


def _walk(value: Any, secrets: tuple[str, ...], depth: int) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if depth > _DEPTH_LIMIT:
        return value
    if isinstance(value, dict):
        changed = False
        result = {}
        for name, item in value.items():
            new = (
                REDACTED
                if isinstance(name, str) and _secret_name(name) and item
                else _walk(item, secrets, depth + 1)
            )
            changed = changed or new is not item
            result[name] = new
        return result if changed else value
    if isinstance(value, list):
        items = [_walk(item, secrets, depth + 1) for item in value]
        return items if any(new is not old for new, old in zip(items, value, strict=True)) else value
    return value


def address_mask(address: str) -> str:
    """An inbound address without its key: `abcd…@alerts.example` (enough to tell which)."""
    local, at, domain = address.partition("@")
    if not at:
        return address
    return f"{local[:4]}…@{domain}"
