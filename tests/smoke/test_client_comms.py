"""The story of issue 15's "Must show": a P1 for a client whose policy says "technical contacts,
every 30 minutes", told through a real SMTP server on loopback, replies through the smtp role's
handler; and replies forged to another client's incident, never attached."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import pytest
from aiosmtpd.smtp import Envelope
from django.test import Client as HttpClient

from tests.comms.factories import contact_make, policy_make
from tests.smoke.harness import Message, Scenario
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.alerts.sources.email import smtp as smtp_role
from watchkeeper.alerts.sources.email.smtp import REPLY_HANDLERS, IntakeHandler
from watchkeeper.comms.models import HeldReply, IncidentComms
from watchkeeper.comms.replies import PREFIX, reply_receive
from watchkeeper.comms.services import update_send
from watchkeeper.incidents.models import TimelineEntry, TimelineKind
from watchkeeper.incidents.services import incident_acknowledge, incident_open, incident_resolve

pytestmark = pytest.mark.django_db


def _complete(coroutine: Any) -> Any:
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the handler waited for something")


@pytest.fixture
def smtp_in(monkeypatch: Any) -> Any:
    """The smtp role's own handler with comms' replies installed, its database calls inline
    (the server's worker thread would not see this test's uncommitted rows)."""

    def inline(func: Any) -> Any:
        async def run(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        return run

    monkeypatch.setattr(smtp_role, "_db", inline)
    monkeypatch.setitem(REPLY_HANDLERS, PREFIX, reply_receive)
    handler = IntakeHandler(domain="in.watchkeeper.example", max_bytes=10**6)

    def deliver(to: str, raw: bytes) -> str:
        envelope = Envelope()
        rcpt = str(_complete(handler.handle_RCPT(None, None, envelope, to, [])))
        if not rcpt.startswith("250"):
            return rcpt
        envelope.original_content = raw
        return str(_complete(handler.handle_DATA(None, None, envelope)))

    return deliver


def _reply_to(message: Message) -> str:
    """Watchkeeper's own reply address among the Reply-To addresses."""
    return next(a for _, a in getaddresses([message.headers["Reply-To"]]) if a.startswith(PREFIX))


def _reply(to: Message, sender: str, text: str, *, thread: str | None = None) -> bytes:
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = sender, _reply_to(to), f"Re: {to.subject}"
    if thread is None:
        reply["In-Reply-To"] = to.headers["Message-ID"]
        reply["References"] = f"{to.headers['References']} {to.headers['Message-ID']}"
    else:  # a reply made to look as if it belonged to another conversation
        reply["In-Reply-To"] = reply["References"] = thread
    quoted = "\n".join(f"> {line}" for line in to.body.splitlines())
    reply.set_content(f"{text}\n\n-- \nJane Roe, Acme Dental\n\nOn Mon, 2 Mar 2026 someone wrote:\n{quoted}")
    return reply.as_bytes()


def test_a_p1_told_on_the_cadence_with_a_reply_in_the_thread(story: Scenario, smtp_in: Any) -> None:
    alice = story.user("Alice")
    manager = story.user("Morgan")
    manager.role = Role.MANAGER
    manager.save(update_fields=["role"])
    policy_make(story.client, P1=(["technical"], 30))
    jane = contact_make(story.client, "Jane Roe", "jane@acme.example", "technical")
    raj = contact_make(story.client, "Raj Patel", "raj@acme.example", "technical", is_primary=True)
    contact_make(story.client, "Bill Counter", "billing@acme.example", "billing")  # never told

    incident = story.incident("Practice server unreachable")
    assert incident.priority == "P1"
    story.run_engine()
    first = story.expect_message(to=jane.email, containing="We are working on: Practice server unreachable")
    raj_first = story.expect_message(to=raj.email, containing="We are working on")
    story.expect_no_messages()

    story.fast_forward(minutes=1)
    incident_acknowledge(incident=incident, by=alice)  # alice owns it now
    story.run_engine()
    story.expect_no_messages()

    story.fast_forward(minutes=24)  # 25 minutes after the opening
    story.run_engine()
    story.expect_message(to=alice.email, containing="Client update due in 5 min")
    story.expect_no_messages()

    story.fast_forward(minutes=5)  # 30 minutes: due, nothing sent
    story.run_engine()
    story.expect_message(to=manager.email, containing="Client update overdue")
    story.expect_no_messages()
    queue = HttpClient()
    queue.force_login(manager)
    assert "Update overdue" in queue.get("/incidents/").content.decode()

    story.fast_forward(minutes=2)
    update_send(incident=incident, by=alice, text="The server's disk failed; we are restoring it.",
                action="Restoring from last night's backup")  # fmt: skip
    story.run_engine()
    jane_update = story.expect_message(to=jane.email, containing="restoring it")
    raj_update = story.expect_message(to=raj.email, containing="restoring it")
    story.expect_no_messages()
    # One thread: every message refers to the incident's thread id; each has its own id.
    thread = IncidentComms.objects.get(incident=incident).thread_id
    for message in (first, raj_first, jane_update, raj_update):
        assert message.headers["References"] == thread == message.headers["In-Reply-To"]
    assert len({m.headers["Message-ID"] for m in (first, raj_first, jane_update, raj_update)}) == 4
    assert "Update overdue" not in queue.get("/incidents/").content.decode()

    answer = smtp_in(
        _reply_to(jane_update), _reply(jane_update, "Jane Roe <jane@acme.example>", "Thanks, ok.")
    )
    assert answer == "250 2.0.0 Reply received"
    comment = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.COMMENT)
    assert comment.text == "Thanks, ok." and comment.client_visible
    assert comment.actor_label == "Jane Roe <jane@acme.example>"
    story.run_engine()
    story.expect_no_messages()  # a client's comment is not announced back to the client

    story.fast_forward(minutes=10)
    incident_resolve(incident=incident, by=alice)
    story.run_engine()
    story.expect_message(to=jane.email, containing="Resolved: Practice server unreachable")
    story.expect_message(to=raj.email, containing="Resolved: Practice server unreachable")
    story.fast_forward(minutes=120)
    story.run_engine()  # no reminder, no overdue after the resolution


def test_a_reply_forged_to_another_clients_incident_is_never_attached(story: Scenario, smtp_in: Any) -> None:
    policy_make(story.client, P1=(["technical"], 30))
    jane = contact_make(story.client, "Jane Roe", "jane@acme.example", "technical")
    incident = story.incident()
    other_client = ClientFactory(name="Beta Law", slug="beta")
    mallory = contact_make(other_client, "Mallory", "mallory@beta.example", "technical")
    other_incident = incident_open(
        client=other_client, service=ServiceFactory(client=other_client), title="Beta's own", impact="high",
        urgency="high", by="monitoring",
    )  # fmt: skip
    policy_make(other_client, P1=(["technical"], 30))
    story.run_engine()
    notice = story.expect_message(to=jane.email, containing="We are working on")
    beta_notice = story.expect_message(to=mallory.email, containing="Beta's own")

    # Right address and thread, wrong sender: held for review, never attached.
    answer = smtp_in(_reply_to(notice), _reply(notice, mallory.email, "Close this please"))
    assert answer.startswith("250")
    assert HeldReply.objects.get(incident=incident).sender == mallory.email
    # A tampered token: refused at RCPT, no incident named.
    local, domain = _reply_to(notice).split("@")
    tampered = f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"
    assert smtp_in(tampered, _reply(notice, jane.email, "x")).startswith("550")
    # Another incident's id with this incident's signature: refused.
    forged = re.sub(r"^update-\d+-", f"update-{other_incident.pk}-", local) + f"@{domain}"
    assert smtp_in(forged, _reply(notice, mallory.email, "x")).startswith("550")
    # Beta's own address, naming Acme's thread: held, not attached to either incident.
    thread = IncidentComms.objects.get(incident=incident).thread_id
    assert smtp_in(_reply_to(beta_notice), _reply(beta_notice, mallory.email, "y", thread=thread)).startswith(
        "250"
    )
    assert HeldReply.objects.filter(incident=other_incident).count() == 1
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()


def test_each_recipient_has_its_delivery_state_with_the_servers_answer(story: Scenario) -> None:
    from watchkeeper.comms.models import DeliveryState, UpdateDelivery

    policy_make(story.client, P1=(["technical"], 60))
    jane = contact_make(story.client, "Jane Roe", "jane@acme.example", "technical")
    gone = contact_make(story.client, "Left Us", "gone@acme.example", "technical")
    busy = contact_make(story.client, "Busy Box", "busy@acme.example", "technical")
    story.sinks.recorder.refuse = {gone.email: 550, busy.email: 451}
    story.incident()
    story.run_engine()
    story.expect_message(to=jane.email, containing="We are working on")
    rows = {row.address: row for row in UpdateDelivery.objects.all()}
    assert rows[jane.email].state == DeliveryState.SENT and rows[jane.email].response.startswith("250")
    assert rows[gone.email].state == DeliveryState.FAILED and "550" in rows[gone.email].response
    assert rows[busy.email].state == DeliveryState.PENDING and "451" in rows[busy.email].response
    story.sinks.recorder.refuse = {gone.email: 550}
    story.fast_forward(minutes=1)
    story.run_engine()  # the retry, after its backoff
    story.expect_message(to=busy.email, containing="We are working on")
    assert UpdateDelivery.objects.get(address=busy.email).state == DeliveryState.SENT
    assert UpdateDelivery.objects.get(address=gone.email).attempts == 1  # a 5xx is not retried


def test_waiting_on_the_client_tells_them_and_pauses_the_cadence(story: Scenario) -> None:
    from watchkeeper.incidents.services import incident_set_waiting

    alice = story.user("Alice")
    policy_make(story.client, P1=(["technical"], 30))
    jane = contact_make(story.client, "Jane Roe", "jane@acme.example", "technical")
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=jane.email, containing="We are working on")
    story.fast_forward(minutes=10)
    incident_set_waiting(
        incident=incident, by=alice, status="waiting_client", note="Which office is affected?"
    )
    story.run_engine()
    story.expect_message(to=jane.email, containing="We need your input")
    assert IncidentComms.objects.get(incident=incident).next_update_due_at is None
    story.fast_forward(minutes=60)
    story.run_engine()  # no reminder while the ball is in the client's court
    story.expect_no_messages()


def test_the_cadence_starts_afresh_when_the_wait_ends(story: Scenario) -> None:
    from watchkeeper.incidents.services import incident_resume, incident_set_waiting

    alice = story.user("Alice")
    policy_make(story.client, P1=(["technical"], 30))
    jane = contact_make(story.client, "Jane Roe", "jane@acme.example", "technical")
    incident = story.incident()
    incident_acknowledge(incident=incident, by=alice)
    story.run_engine()
    story.expect_message(to=jane.email, containing="We are working on")
    story.fast_forward(minutes=5)
    incident_set_waiting(incident=incident, by=alice, status="waiting_client")
    story.run_engine()
    story.expect_message(to=jane.email, containing="We need your input")
    story.fast_forward(minutes=60)
    incident_resume(incident=incident, by=alice)
    story.run_engine()
    story.expect_no_messages()  # not overdue at once: 30 minutes from the resumption
    story.fast_forward(minutes=25)
    story.run_engine()
    story.expect_message(to=alice.email, containing="Client update due in 5 min")
