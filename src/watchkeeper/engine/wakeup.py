"""Waking an idle engine without waiting for its poll.

Services call their wake hooks after committing work that is due now (`core.timers` for
timers, `paging.services.notify` for the outbox). The engine installs `wake` as that hook:
- in-process (SQLite, `watchkeeper serve`, tests): it sets a `threading.Event` the loop waits on;
- PostgreSQL: it also sends `NOTIFY watchkeeper_engine`, and every engine process keeps one
  dedicated connection that LISTENs and sets its event, so a page enqueued by a web replica
  wakes engines on other machines at once.
The poll interval stays as the fallback: a lost notification only costs one interval.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connection

from watchkeeper.core.timers import timer_wake_hook_add
from watchkeeper.paging.services.notify import outbox_wake_hook_add

log = logging.getLogger("watchkeeper.engine")

CHANNEL = "watchkeeper_engine"
EVENT = threading.Event()


def wake() -> None:
    EVENT.set()
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {CHANNEL}")
        except DatabaseError:  # the poll still finds the work
            log.warning("NOTIFY failed; engines will find the work at their next poll", exc_info=True)


def install() -> None:
    timer_wake_hook_add(wake)
    outbox_wake_hook_add(wake)


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


def listen(stop: threading.Event) -> Listener | None:
    if connection.vendor != "postgresql":
        return None
    listener = Listener(stop)
    listener.start()
    return listener
