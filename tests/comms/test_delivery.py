"""Sending: one SMTP connection serves many messages (a fan-out is not a thousand handshakes),
a refused recipient does not spoil the connection, and a connection the server closed is
reopened; each message carries the incident's thread and the signed reply address."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from watchkeeper.comms import delivery
from watchkeeper.mail.transport import SmtpServer


class Sink:
    def __init__(self) -> None:
        self.ehlo = 0
        self.received: list[Any] = []

    async def handle_EHLO(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.ehlo += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 queued as X"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, SmtpServer]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    delivery._sessions.drop()
    yield handler, SmtpServer(host="127.0.0.1", port=port, security="none", timeout=5)
    delivery._sessions.drop()
    controller.stop()


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "desk@msp.example", to, "Update"
    message.set_content("x")
    return message


def test_one_connection_serves_many_messages_and_survives_a_refusal(sink: Any) -> None:
    handler, server = sink
    for n in range(5):
        to = f"p{n}@client.example"
        assert delivery.smtp_send_reusing(
            server, sender="desk@msp.example", to=to, message=_message(to)
        ).startswith("250")
    with pytest.raises(Exception) as refused:
        delivery.smtp_send_reusing(
            server, sender="desk@msp.example", to="gone@client.example", message=_message("x")
        )
    assert "550" in str(refused.value.recipients)  # type: ignore[attr-defined]
    delivery.smtp_send_reusing(
        server, sender="desk@msp.example", to="last@client.example", message=_message("y")
    )
    assert len(handler.received) == 6
    assert handler.ehlo == 1  # one connection (the self-test of the controller says HELO, not EHLO)


def test_a_closed_connection_is_reopened(sink: Any) -> None:
    handler, server = sink
    delivery.smtp_send_reusing(
        server, sender="desk@msp.example", to="a@client.example", message=_message("a")
    )
    assert delivery._sessions.smtp is not None
    delivery._sessions.smtp.docmd("QUIT")  # the server hangs up; the client does not know yet
    delivery.smtp_send_reusing(
        server, sender="desk@msp.example", to="b@client.example", message=_message("b")
    )
    assert len(handler.received) == 2 and handler.ehlo == 2


@pytest.mark.django_db
def test_answers_are_recorded_together_and_fenced_on_the_lease(world: Any, sink: Any) -> None:
    from watchkeeper.comms.models import ClientUpdate, DeliveryState, UpdateDelivery
    from watchkeeper.mail.selectors import MailSetup

    _handler, server = sink
    update = ClientUpdate.objects.create(
        incident=world.a.incident, kind="update", cause="x", subject="S", body="B"
    )
    rows = [
        UpdateDelivery.objects.create(
            update=update, client=world.a.client, address=f"p{n}@client.example", message_id=f"<{n}@x>",
            state=DeliveryState.SENDING, lease_owner="me", attempts=1,
        )
        for n in range(3)
    ]  # fmt: skip
    # Our lease on the last row expired and another engine took it over meanwhile.
    UpdateDelivery.objects.filter(pk=rows[2].pk).update(lease_owner="other")
    setup = MailSetup("console", "desk@msp.example", server)
    delivery.updates_deliver(rows=list(UpdateDelivery.objects.filter(update=update).order_by("pk")),
                             owner="me", setup=setup)  # fmt: skip
    states = dict(UpdateDelivery.objects.values_list("address", "state"))
    assert states == {
        "p0@client.example": "sent",
        "p1@client.example": "sent",
        "p2@client.example": "sending",
    }
    assert UpdateDelivery.objects.get(pk=rows[0].pk).response.startswith("250 2.0.0 queued")
