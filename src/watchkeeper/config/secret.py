"""The installation's secret key, the same on every host (ADR 0036).

`WATCHKEEPER_SECRET_KEY` when set; otherwise a key generated once and kept in the database, in a
table this module owns (`watchkeeper_installation`, created on first use like Django's own
`django_migrations`: the key may be needed before `migrate` has run, and a test database's flush
must not change it). A key a single-machine installation kept in `<data dir>/secret_key` before
is adopted as the stored key, so its sessions, links and encrypted secrets stay valid.

Settings cannot query the database when they are imported (the database may not exist yet, and
tests switch to a test database afterwards), so `SECRET_KEY` is a lazy string that loads the key
at first use. The process roles load it at start (`secret_key_load()` in the CLI and the WSGI
module), outside any transaction, so the key a process signs with is always a committed one.
"""

from __future__ import annotations

import logging
import secrets
import threading
from pathlib import Path
from typing import Any

from django.utils.functional import lazy

log = logging.getLogger("watchkeeper")

TABLE = "watchkeeper_installation"
NAME = "secret_key"

_lock = threading.Lock()
_loaded: dict[str, str] = {}


def _candidate(legacy: Path | None) -> str:
    if legacy is not None and legacy.is_file():
        text = legacy.read_text().strip()
        if text:
            return text
    return secrets.token_urlsafe(64)


def _read_or_create(cursor: Any, legacy: Path | None) -> str:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name varchar(64) PRIMARY KEY, value text NOT NULL)")
    select = f"SELECT value FROM {TABLE} WHERE name = %s"  # noqa: S608 — a constant name
    cursor.execute(select, [NAME])
    row = cursor.fetchone()
    if row is None:
        # Two hosts starting at once both insert; the primary key keeps the first, and both read it.
        cursor.execute(
            f"INSERT INTO {TABLE} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",  # noqa: S608
            [NAME, _candidate(legacy)],
        )
        cursor.execute(select, [NAME])
        row = cursor.fetchone()
    return str(row[0])


def _fetch(legacy: Path | None) -> str:
    from django.db import DatabaseError, connections
    from django.db.utils import load_backend

    default = connections["default"]
    # Inside a transaction on PostgreSQL a connection of its own, so that the key is committed
    # whatever becomes of the caller's transaction. SQLite has one writer: a second connection
    # would wait for the caller's lock; the roles load the key at start, before any transaction.
    separate = default.in_atomic_block and default.vendor != "sqlite"
    wrapper = load_backend(default.settings_dict["ENGINE"]).DatabaseWrapper(
        dict(default.settings_dict), alias="installation-secret"
    ) if separate else default  # fmt: skip
    try:
        for attempt in range(3):
            try:
                with wrapper.cursor() as cursor:
                    return _read_or_create(cursor, legacy)
            except DatabaseError:
                # Two processes creating the table at once on PostgreSQL: one fails; the
                # table exists now.
                if attempt == 2 or wrapper.in_atomic_block:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        if separate:
            wrapper.close()


def secret_key_load(legacy: Path | None = None) -> str:
    """The stored key (created on first use); loaded once per process."""
    key = _loaded.get(NAME)
    if key is None:
        with _lock:
            key = _loaded.get(NAME)
            if key is None:
                key = _loaded[NAME] = _fetch(legacy)
    return key


def secret_key_lazy(legacy: Path | None) -> str:
    """A string that is the stored key once something uses it (settings.SECRET_KEY)."""
    return lazy(secret_key_load, str)(legacy)


def secret_key_preload() -> None:
    """Load the key now, outside any transaction (the CLI and the WSGI module call this once
    Django is set up). A database not reachable yet (or not to be touched yet: tests import the
    WSGI module before their database exists) only defers it to first use. The connection is
    closed again: processes forked later must not share it."""
    from django.conf import settings
    from django.db import connections

    if settings.SECRET_KEY_FROM_ENVIRONMENT or NAME in _loaded:
        return
    default = connections["default"]
    opened_here = default.connection is None  # a caller's connection (a test's) stays as it is
    try:
        str(settings.SECRET_KEY)
    except Exception:  # unreachable, or not allowed yet (a test importing the WSGI module)
        log.debug("secret key not loaded at start; loading it at first use", exc_info=True)
    finally:
        if opened_here and not default.in_atomic_block:
            default.close()


def secret_key_forget() -> None:
    """Tests: load the key again at next use."""
    _loaded.clear()
