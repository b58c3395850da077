"""SQLite's one write lock, taken in turn: every writer that runs many short transactions
(the web's inbox writer, the engine's inbox batches and timers) queues here first."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper


@contextmanager
def writer_turn(wrapper: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """On SQLite, wait for the write lock in the kernel rather than in SQLite's busy handler.

    SQLite has one writer; a connection that finds the database locked sleeps and polls, with
    sleeps growing to 100 ms, so under load writers lose most of their time asleep while the
    lock is free. Writers that take this file lock first queue and are woken as soon as the
    holder is done. Inbox writers (web) and inbox processing (engine) both take it."""
    wrapper = wrapper or connection
    if wrapper.vendor != "sqlite":
        yield
        return
    handle = _turn_file(str(wrapper.settings_dict["NAME"]))
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


_turn_files: dict[tuple[int, str], IO[str]] = {}


def _turn_file(name: str) -> IO[str]:
    """This process's handle on the lock file beside the database (flock is per open file)."""
    handle = _turn_files.get((os.getpid(), name))
    if handle is None:
        handle = _turn_files[(os.getpid(), name)] = open(name + ".writer-lock", "a")  # noqa: SIM115
    return handle
