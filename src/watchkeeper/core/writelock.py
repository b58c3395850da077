"""SQLite's one write lock, taken in turn: every writer that runs many short transactions
(the web's inbox writer, the engine's inbox batches and timers) queues here first.

Intake goes first. A web process's inbox writer (`urgent=True`) says it is waiting while it
waits, and the engine, between two rows of a long batch, asks `writers_waiting()` and commits
early when someone is: a client waiting for its 202 should wait for one row, not a batch.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper


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
