"""SQLite's write-lock queue: web intake says it is waiting, and the engine can tell."""

from __future__ import annotations

import fcntl
import multiprocessing
import time

import pytest
from django.db import connection

from watchkeeper.core import writelock
from watchkeeper.core.writelock import checkpoints_offload, writer_turn, writers_waiting


def _sqlite() -> str:
    if connection.vendor != "sqlite":
        pytest.skip("the lock queue is SQLite's (PostgreSQL writers do not wait for each other)")
    return str(connection.settings_dict["NAME"])


def _urgent_writer(name: str, got: multiprocessing.synchronize.Event) -> None:
    # Another process's web writer: a handle of its own on the lock files.
    waiting, lock = open(name + ".writer-waiting", "a"), open(name + ".writer-lock", "a")  # noqa: SIM115
    fcntl.flock(waiting, fcntl.LOCK_SH)
    fcntl.flock(lock, fcntl.LOCK_EX)
    fcntl.flock(waiting, fcntl.LOCK_UN)
    got.set()
    fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.mark.django_db
def test_an_urgent_writer_waiting_for_the_lock_is_seen_until_it_has_it() -> None:
    name = _sqlite()
    got = multiprocessing.get_context("fork").Event()
    with writer_turn():  # the engine holds the lock, as during a batch
        assert not writers_waiting()
        other = multiprocessing.get_context("fork").Process(target=_urgent_writer, args=(name, got))
        other.start()
        deadline = time.monotonic() + 5
        while not writers_waiting() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writers_waiting(), "the waiting web writer should be visible"
        assert not got.is_set()
    assert got.wait(5), "the web writer gets the lock once the engine lets go"
    other.join(5)
    assert not writers_waiting()


@pytest.mark.django_db
def test_urgent_turns_take_and_release_the_lock() -> None:
    _sqlite()
    with writer_turn(urgent=True):
        assert not writers_waiting()  # holding the lock is not waiting for it
    with writer_turn():
        pass


@pytest.mark.django_db
def test_checkpoints_move_off_the_writers_connections() -> None:
    _sqlite()
    checkpoints_offload()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 0  # this connection's commits no longer checkpoint
    assert writelock._checkpointer is not None and writelock._checkpointer.is_alive()
