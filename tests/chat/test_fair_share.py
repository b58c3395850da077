"""A client whose chat webhook hangs does not hold back another client's posts (ADR 0033): chat
posts share the engine's delivery pool by client, as pages do."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from tests.chat.conftest import make_channel
from tests.chat.receiver import receiving
from watchkeeper.chat.events import incident_events_post
from watchkeeper.chat.models import ChatPost, PostState
from watchkeeper.engine.outbox import outbox_run_due
from watchkeeper.engine.registry import CHAT_POSTS
from watchkeeper.incidents.services import incident_open

pytestmark = pytest.mark.django_db


def test_a_hanging_webhook_of_one_client_does_not_delay_anothers(world: Any, settings: Any) -> None:
    settings.DELIVERY_WORKERS, settings.DELIVERY_DEADLINE_SECONDS = 4, 3
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)  # accepts connections (the kernel does) and never answers
    try:
        with receiving() as receiver:
            make_channel(client=world.a.client, url=f"mmost://127.0.0.1:{hanging.getsockname()[1]}/tok")
            make_channel(client=world.b.client, url=f"mmost://127.0.0.1:{receiver.port}/tok")
            alpha = [
                incident_open(client=world.a.client, service=world.a.service, title=f"A{n}", impact="high",
                              urgency="high", by="monitoring")
                for n in range(6)
            ]  # fmt: skip
            incident_events_post(incident_ids=[incident.pk for incident in alpha])
            outbox_run_due(outbox=CHAT_POSTS)  # A's sends outlive the deadline: they still hold threads
            bravo = incident_open(client=world.b.client, service=world.b.service, title="B's outage",
                                  impact="high", urgency="high", by="monitoring")  # fmt: skip
            incident_events_post(incident_ids=[bravo.pk])
            started = time.monotonic()
            outbox_run_due(outbox=CHAT_POSTS)
            assert receiver.requests, "B's post never arrived"
            arrived = receiver.arrived[0] - started
    finally:
        hanging.close()
    b_post = ChatPost.objects.get(client=world.b.client)
    assert b_post.state == PostState.SENT
    assert arrived < 1.5, f"B's post waited {arrived:.2f} s behind A's hanging webhook"
    stuck = ChatPost.objects.filter(client=world.a.client)
    assert all(post.state == PostState.PENDING and "no answer" in post.response for post in stuck)
