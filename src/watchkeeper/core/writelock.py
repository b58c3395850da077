"""SQLite's one write lock, taken in turn: every writer that runs many short transactions
(the web's inbox writer, the engine's inbox batches and timers) queues here first.

Checkpoints happen beside the writers. By default the connection whose commit finds the write-
ahead log long runs the checkpoint (copying pages into the database and syncing it) before its
commit returns — with the writer's turn still held, and every sender of that batch waiting.
Processes that write often call `checkpoints_offload()`: their connections stop checkpointing, and
one thread per process checkpoints every second instead (PASSIVE: it takes no lock writers need).

Intake goes first. A web process's inbox writer (`urgent=True`) says it is waiting while it
waits, and the engine, between two rows of a long batch, asks `writers_waiting()` and commits
early when someone is: a client waiting for its 202 should wait for one row, not a batch.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

log = logging.getLogger("watchkeeper.engine")
CHECKPOINT_EVERY = 1.0  # seconds


@contextmanager
def writer_turn(wrapper: BaseDatabaseWrapper | None = None, *, urgent: bool = False) -> Iterator[None]:
    """On SQLite, wait for the write lock in the kernel rather than in SQLite's busy handler.

    SQLite has one writer; a connection that finds the database locked sleeps and polls, with
    sleeps growing to 100 ms, so under load writers lose most of their time asleep while the
    lock is free. Writers that take this file lock first queue and are woken as soon as the
    holder is done. Inbox writers (web) and inbox processing (engine) both take it; `urgent`
    writers also hold a shared lock on the "waiting" file while they wait."""
    wrapper = wrapper or connection
    if wrapper.vendor != "sqlite":
        yield
        return
    name = str(wrapper.settings_dict["NAME"])
    handle = _turn_file(name, ".writer-lock")
    if urgent:
        waiting = _turn_file(name, ".writer-waiting")
        fcntl.flock(waiting, fcntl.LOCK_SH)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        finally:
            fcntl.flock(waiting, fcntl.LOCK_UN)
    else:
        fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


def writers_waiting(wrapper: BaseDatabaseWrapper | None = None) -> bool:
    """Whether an urgent writer (web intake) waits for SQLite's write lock now. One system
    call; always False on other databases, where writers do not wait for each other."""
    wrapper = wrapper or connection
    if wrapper.vendor != "sqlite":
        return False
    waiting = _turn_file(str(wrapper.settings_dict["NAME"]), ".writer-waiting")
    try:
        fcntl.flock(waiting, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(waiting, fcntl.LOCK_UN)
    return False


_turn_files: dict[tuple[int, str], IO[str]] = {}


def _turn_file(name: str, suffix: str) -> IO[str]:
    """This process's handle on a lock file beside the database (flock is per open file)."""
    key = (os.getpid(), name + suffix)
    handle = _turn_files.get(key)
    if handle is None:
        handle = _turn_files[key] = open(name + suffix, "a")  # noqa: SIM115
    return handle


def _no_autocheckpoint(sender: object, connection: BaseDatabaseWrapper, **_: object) -> None:
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA wal_autocheckpoint=0")


_checkpointer: threading.Thread | None = None
_checkpointer_lock = threading.Lock()


def checkpoints_offload() -> None:
    """SQLite: from now on this process's connections leave WAL checkpoints to its checkpoint
    thread (started here). Idempotent; nothing on other databases."""
    global _checkpointer
    if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
        return
    connection_created.connect(_no_autocheckpoint, dispatch_uid="watchkeeper-no-autocheckpoint")
    if connection.connection is not None:  # this thread's, opened before
        _no_autocheckpoint(None, connection)
    with _checkpointer_lock:
        if _checkpointer is None or not _checkpointer.is_alive():  # (threads do not survive fork)
            name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
            _checkpointer = threading.Thread(
                target=_checkpoint_forever, args=(name,), name="wal-checkpoint", daemon=True
            )
            _checkpointer.start()


def _checkpoint_forever(name: str) -> None:
    """On a driver connection of its own (not Django's: nothing here is a request's work),
    opened read-write only, so a database file that went away is not created again."""
    db: sqlite3.Connection | None = None
    while True:
        time.sleep(CHECKPOINT_EVERY)
        try:
            if db is None:
                db = sqlite3.connect(f"file:{name}?mode=rw", uri=True, timeout=5, check_same_thread=False)
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            log.debug("WAL checkpoint failed; retrying", exc_info=True)
            if db is not None:
                db.close()
            db = None
