"""Waking an idle engine without waiting for its poll.

Services call their wake hooks after committing work that is due now (`core.timers` for
timers, `paging.services.notify` for the outbox). Every process has `core.wake.engines_wake`
installed as that hook (NOTIFY on PostgreSQL, a datagram on SQLite), and the inbox writer calls
it after each commit. The engine adds `wake`, which sets the `threading.Event` its loop waits on,
and listens for the others' wake-ups:
- PostgreSQL: a dedicated connection LISTENs and sets the event, so work committed by a web
  replica wakes engines on other machines at once;
- SQLite: a thread receives on the engine's socket (`core.wake`) and sets the event.
The poll interval stays as the fallback: a lost notification only costs one interval.
"""

from __future__ import annotations

import logging
import socket
import threading

from django.db import connection

from watchkeeper.comms.services import delivery_wake_hook_add
from watchkeeper.core.timers import timer_wake_hook_add
from watchkeeper.core.wake import CHANNEL, wake_receiver
from watchkeeper.paging.services.notify import outbox_wake_hook_add

log = logging.getLogger("watchkeeper.engine")

EVENT = threading.Event()


def wake() -> None:
    EVENT.set()


def install() -> None:
    timer_wake_hook_add(wake)
    outbox_wake_hook_add(wake)
    delivery_wake_hook_add(wake)


def wait(stop: threading.Event, timeout: float) -> None:
    """Sleep up to `timeout`, returning early on a wake-up or a stop."""
    if EVENT.wait(timeout):
        EVENT.clear()
    if stop.is_set():
        return


class Listener(threading.Thread):
    """LISTEN on a dedicated PostgreSQL connection; each notification sets EVENT."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(name="engine-listen", daemon=True)
        self.stop = stop

    def run(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        while not self.stop.is_set():
            try:
                with psycopg.connect(**params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            EVENT.set()
            except psycopg.Error:
                log.warning("engine LISTEN connection lost; reconnecting", exc_info=True)
                self.stop.wait(2.0)


class SocketListener(threading.Thread):
    """SQLite: each datagram on the engine's socket sets EVENT."""

    def __init__(self, stop: threading.Event, sock: socket.socket) -> None:
        super().__init__(name="engine-wake", daemon=True)
        self.stop, self.sock = stop, sock

    def run(self) -> None:
        with self.sock:
            while not self.stop.is_set():
                try:
                    self.sock.recv(64)
                except TimeoutError:
                    continue
                except OSError:
                    log.warning("engine wake-up socket failed; polling only", exc_info=True)
                    return
                EVENT.set()


def listen(stop: threading.Event) -> threading.Thread | None:
    listener: threading.Thread
    if connection.vendor == "postgresql":
        listener = Listener(stop)
    else:
        sock = wake_receiver(connection)
        if sock is None:
            return None
        listener = SocketListener(stop, sock)
    listener.start()
    return listener
