"""Wake-ups: committed due work wakes an idle engine at once, in-process, over NOTIFY
(PostgreSQL) and over the engine's socket (SQLite)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.services.intake import inbox_accept
from watchkeeper.core import clock
from watchkeeper.core.timers import timer_set
from watchkeeper.core.wake import engines_wake
from watchkeeper.engine import wakeup
from watchkeeper.paging.services.notify import notification_send


@pytest.fixture
def installed() -> Any:
    wakeup.install()
    wakeup.EVENT.clear()
    yield wakeup.EVENT
    wakeup.EVENT.clear()


@pytest.mark.django_db(transaction=True)
def test_a_timer_due_now_wakes_the_engine_after_commit(installed: threading.Event) -> None:
    timer_set(kind="test.wake", key="1", due_at=clock.now())
    assert installed.is_set()


@pytest.mark.django_db(transaction=True)
def test_an_outbox_message_wakes_the_engine(installed: threading.Event) -> None:
    notification_send(user=UserFactory(), subject="s", text="t", dedup_key="wake")
    assert installed.is_set()


@pytest.mark.django_db(transaction=True)
def test_a_later_timer_does_not_wake(installed: threading.Event) -> None:
    import datetime as dt

    timer_set(kind="test.wake", key="2", due_at=clock.now() + dt.timedelta(hours=1))
    assert not installed.is_set()


@pytest.fixture
def listening() -> Any:
    """The engine's listener (LISTEN on PostgreSQL, its socket on SQLite), in place and quiet."""
    stop = threading.Event()
    listener = wakeup.listen(stop)
    assert listener is not None, "this platform should receive wake-ups"
    time.sleep(0.5)  # the listener is in place
    wakeup.EVENT.clear()
    yield wakeup.EVENT
    stop.set()
    listener.join(timeout=3)


@pytest.mark.django_db(transaction=True)
def test_notify_reaches_a_listening_engine_on_postgresql(listening: threading.Event) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {wakeup.CHANNEL}")
    assert listening.wait(3.0)


@pytest.mark.django_db(transaction=True)
def test_a_wake_from_another_process_reaches_the_engine(listening: threading.Event) -> None:
    # What a web process does after committing (NOTIFY on PostgreSQL, a datagram on SQLite):
    # the engine's listener turns it into its event.
    engines_wake()
    assert listening.wait(3.0)


@pytest.mark.django_db(transaction=True)
def test_an_accepted_event_wakes_the_engine(listening: threading.Event) -> None:
    if connection.vendor != "sqlite":
        # The writer thread's own connection would outlive PostgreSQL's test database (and
        # block its teardown); there the NOTIFY rides in the writer's transaction.
        pytest.skip("the web writer's wake-up is tested on SQLite")
    integration = IntegrationFactory(type="pagerduty")
    inbox_accept(integration=integration, kind="pagerduty", payload={"event_action": "trigger"})
    assert listening.wait(3.0)
