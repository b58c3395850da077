"""Secrets at rest: Fernet under versioned keys (DESIGN.md section 6, ADR 0025).

The keys are `WATCHKEEPER_ENCRYPTION_KEYS` (settings.ENCRYPTION_KEYS, newest first) followed by
the key derived from the installation's secret key, which is what every installation started
with. New secrets are encrypted under the first key; any of them decrypts. `watchkeeper secrets
rotate` re-encrypts every stored secret under the first key, after which older keys can go.

A secret no key can read (the secret key changed and the old one was not listed) makes
`secret_decrypt` raise `SecretUnreadable`; callers treat it as missing (re-enter it).

Integration keys are looked up by `lookup_hash`, not decrypted: see ADR 0025 for why that
hash is not keyed with the secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_LABEL = b"watchkeeper secrets at rest\x00"
_LOOKUP_LABEL = b"watchkeeper lookup hash"


class SecretUnreadable(Exception):
    """The stored secret was encrypted under a key no longer configured, or was tampered with."""


def _fernet(material: str) -> Fernet:
    # Any string is accepted as key material; SHA-256 turns it into Fernet's 32-byte key.
    digest = hashlib.sha256(_LABEL + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _keys(configured: tuple[str, ...], secret_key: str) -> MultiFernet:
    return MultiFernet([_fernet(material) for material in (*configured, secret_key)])


def _current() -> MultiFernet:
    return _keys(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def secret_encrypt(plain: str) -> str:
    return _current().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The secret cannot be decrypted with this installation's keys.") from exc


def secret_reencrypt(token: str) -> str:
    """The same secret encrypted under the newest key (for `watchkeeper secrets rotate`)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The secret cannot be decrypted with this installation's keys.") from exc


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of a high-entropy secret under a fixed label: what integration keys are
    found by. Fixed rather than keyed with the secret key so that changing the secret key does
    not stop every integration at once (ADR 0025)."""
    return hmac.new(_LOOKUP_LABEL, value.encode(), hashlib.sha256).hexdigest()
