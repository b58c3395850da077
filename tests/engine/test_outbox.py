"""The outbox: claiming under a lease, expired leases, fenced recording, metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from watchkeeper.core import clock
from watchkeeper.engine import outbox as engine_outbox
from watchkeeper.engine.metrics import engine_metrics, outbox_lag_seconds
from watchkeeper.engine.outbox import outbox_claim, outbox_reap, outbox_run_due
from watchkeeper.engine.registry import PAGING_MESSAGES
from watchkeeper.paging.models import MessageState, OutboxMessage
from watchkeeper.paging.services.notify import notification_send

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def user(settings: Any) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.freeze(T0)
    return UserFactory(email="alice@msp.example")


def test_notification_send_enqueues_once_per_dedup_key(user: Any) -> None:
    for _ in range(3):
        notification_send(user=user, subject="Hello", text="World", dedup_key="k1")
    assert OutboxMessage.objects.count() == 1
    notification_send(user=user, subject="Hello", text="World", dedup_key="k2")
    assert OutboxMessage.objects.count() == 2


def test_notification_send_refuses_an_unknown_urgency(user: Any) -> None:
    with pytest.raises(ValueError, match="urgency"):
        notification_send(user=user, subject="x", text="y", dedup_key="k", urgency="urgent")


def test_a_claimed_message_is_not_claimed_again_until_its_lease_expires(user: Any) -> None:
    notification_send(user=user, subject="Hello", text="World", dedup_key="k1")
    assert len(outbox_claim(outbox=PAGING_MESSAGES, now=clock.now())) == 1
    assert outbox_claim(outbox=PAGING_MESSAGES, now=clock.now()) == []
    # The engine died mid-send: after the lease the message is claimed (and sent) again.
    later = clock.now() + dt.timedelta(seconds=61)
    again = outbox_claim(outbox=PAGING_MESSAGES, now=later)
    assert len(again) == 1
    assert again[0].attempts == 2


def test_the_reaper_returns_expired_leases(user: Any) -> None:
    notification_send(user=user, subject="Hello", text="World", dedup_key="k1")
    outbox_claim(outbox=PAGING_MESSAGES, now=clock.now())
    assert outbox_reap(outbox=PAGING_MESSAGES, now=clock.now()) == 0
    assert outbox_reap(outbox=PAGING_MESSAGES, now=clock.now() + dt.timedelta(minutes=2)) == 1
    assert OutboxMessage.objects.get().state == MessageState.PENDING


def test_a_result_for_a_lease_taken_over_is_not_recorded(user: Any, monkeypatch: Any) -> None:
    notification_send(user=user, subject="Hello", text="World", dedup_key="k1")
    monkeypatch.setattr(engine_outbox, "WORKER_ID", "engine-a")
    (message,) = outbox_claim(outbox=PAGING_MESSAGES, now=clock.now())
    # Another engine took the expired lease meanwhile: engine A's late answer must not count.
    OutboxMessage.objects.filter(pk=message.pk).update(lease_owner="engine-b")
    from watchkeeper.paging.services.outbox import message_deliver

    assert message_deliver(message=message, owner="engine-a") == MessageState.BUNDLED
    assert OutboxMessage.objects.get().state == MessageState.SENDING


def test_delivery_records_the_answer_and_metrics_follow(user: Any) -> None:
    from django.core import mail

    notification_send(user=user, subject="Hello", text="World", dedup_key="k1")
    clock.advance(dt.timedelta(seconds=30))
    assert outbox_lag_seconds() == 30.0
    families = {family.name: family for family in engine_metrics()}
    due = families["watchkeeper_outbox_due"].samples[0].value
    assert due == 1
    assert outbox_run_due(outbox=PAGING_MESSAGES) == 1
    message = OutboxMessage.objects.get()
    assert message.state == MessageState.SENT
    assert "locmem" in message.provider_response
    assert mail.outbox[0].to == ["alice@msp.example"]
    assert outbox_lag_seconds() == 0.0
    states = {
        s.labels["state"]: s.value
        for s in next(f for f in engine_metrics() if f.name == "watchkeeper_outbox_messages").samples
    }
    assert states["sent"] == 1
