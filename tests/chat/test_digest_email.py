"""The leadership digest to an e-mail list: one message per address through the outgoing mail
server (a real SMTP server on loopback)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.chat.conftest import make_channel, run_engine
from tests.smoke.harness import Sinks
from watchkeeper.chat.models import ChannelKind, ChatPost, PostState
from watchkeeper.core import clock
from watchkeeper.incidents.services import incident_open, incident_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def sinks(settings: Any) -> Iterator[Sinks]:
    sinks = Sinks()
    sinks.start()
    settings.SMTP_FROM_ENVIRONMENT = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sinks.smtp_port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "noc@watchkeeper.example"
    yield sinks
    sinks.stop()


def test_the_digest_reaches_every_address_of_an_email_list(world: Any, sinks: Sinks) -> None:
    clock.freeze(clock.now())
    for tenant in (world.a, world.b):
        incident_resolve(incident=tenant.incident, by=tenant.technician)
    make_channel(
        client=None, url="ceo@msp.example, coo@msp.example", kind=ChannelKind.EMAIL, events=[], digest=True,
        name="Leadership mail",
    )  # fmt: skip
    incident = incident_open(
        client=world.b.client, service=world.b.service, title="Warehouse scanners offline", impact="high",
        urgency="high", by="monitoring",
    )  # fmt: skip
    run_engine()
    clock.advance(dt.timedelta(hours=1, seconds=1))
    run_engine()
    post = ChatPost.objects.get()
    assert post.state == PostState.SENT
    mails = sinks.recorder.messages
    assert sorted(message.to for message in mails) == ["ceo@msp.example", "coo@msp.example"]
    assert all(message.subject == "Leadership digest: 1 P1/P2 incident open" for message in mails)
    assert all(
        incident.reference in message.body and "Warehouse scanners offline" in message.body
        for message in mails
    )
