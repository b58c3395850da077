"""Telling engine processes, in other processes, that work is due now.

The engine sleeps between polls when it has nothing to do. Work committed elsewhere — an event
accepted by a web process, an acknowledgement clicked in the console, a page queued by the
CLI — would otherwise wait for its next poll. After committing such work a process calls
`engines_wake()`:
- PostgreSQL: `NOTIFY watchkeeper_engine`; every engine LISTENs on a connection of its own, so
  engines on other machines wake too (inside a transaction the notice goes out at commit);
- SQLite: a one-byte datagram to the engine's socket, named after the database file in Linux's
  abstract socket namespace (no file to clean up: it goes when the engine does). SQLite has one
  engine per database; where the namespace is missing the engine simply polls.
A lost wake-up costs at most one poll interval; nothing depends on it for correctness.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import sys
import threading

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger("watchkeeper.engine")

CHANNEL = "watchkeeper_engine"
NOTIFY = f"NOTIFY {CHANNEL}"  # the statement, also sent inside the inbox writer's transaction
_ABSTRACT = sys.platform == "linux"


def socket_name(wrapper: BaseDatabaseWrapper) -> bytes:
    """The abstract socket name of the engine of this SQLite database."""
    path = os.path.abspath(str(wrapper.settings_dict["NAME"]))
    return b"\0watchkeeper-engine-" + hashlib.sha256(path.encode()).hexdigest()[:24].encode()


_senders: dict[int, socket.socket] = {}
_senders_lock = threading.Lock()


def _sender() -> socket.socket:
    pid = os.getpid()  # a socket made before a fork stays with the parent
    sock = _senders.get(pid)
    if sock is None:
        with _senders_lock:
            sock = _senders.get(pid)
            if sock is None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                sock.setblocking(False)
                _senders[pid] = sock
    return sock


def engines_wake(wrapper: BaseDatabaseWrapper | None = None) -> None:
    """Wake the engines now. Safe anywhere, never raises; inside a transaction on PostgreSQL
    the wake-up leaves with the commit."""
    wrapper = wrapper or connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor == "postgresql":
        try:
            with wrapper.cursor() as cursor:
                cursor.execute(NOTIFY)
        except DatabaseError:
            log.warning("NOTIFY failed; engines will find the work at their next poll", exc_info=True)
        return
    if wrapper.vendor == "sqlite" and _ABSTRACT:
        # No engine, a full queue (it is awake anyway) or no namespace: the poll finds the work.
        with contextlib.suppress(OSError):
            _sender().sendto(b"!", socket_name(wrapper))


def wake_receiver(wrapper: BaseDatabaseWrapper) -> socket.socket | None:
    """The engine's end on SQLite (bound, blocking with a 1 s timeout), or None when another
    engine holds it or the platform has no abstract sockets."""
    if wrapper.vendor != "sqlite" or not _ABSTRACT:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(socket_name(wrapper))
    except OSError:
        sock.close()
        log.warning("another engine receives this database's wake-ups; this one polls")
        return None
    sock.settimeout(1.0)
    return sock
