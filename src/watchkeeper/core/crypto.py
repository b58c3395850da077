"""Secrets at rest: Fernet, keyed from the installation's secret key (DESIGN.md section 6).

Rotating the secret key makes stored secrets unreadable; `secret_decrypt` then raises
`SecretUnreadable` and callers treat the secret as missing (re-enter it) instead of crashing.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret was encrypted under another key or was tampered with."""


@cache
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"watchkeeper secrets at rest\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(plain: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet(settings.SECRET_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The secret cannot be decrypted with this installation's key.") from exc
