"""Stories of responding from anywhere: the one-click link, an e-mail reply, the console and
the API, escalate and reassign."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import Envelope
from django.test import Client as HttpClient

from tests.smoke.harness import Scenario
from watchkeeper.alerts.sources.email import smtp as smtp_role
from watchkeeper.alerts.sources.email.smtp import REPLY_HANDLERS, IntakeHandler
from watchkeeper.incidents.models import IncidentStatus
from watchkeeper.paging.services.escalation import incident_escalate, incident_reassign
from watchkeeper.paging.services.replies import page_reply_receive

pytestmark = pytest.mark.django_db


def _links(body: str) -> dict[str, str]:
    found = re.findall(r"(Acknowledge|Resolve): \S+(/paging/respond/[^/\s]+/)", body)
    return dict(found)


def test_the_acknowledge_link_works_once_and_stops_escalation(story: Scenario) -> None:
    alice, bob = story.user("Alice"), story.user("Bob")
    story.policy((10, [alice]), (10, [bob]))
    incident = story.incident()
    story.run_engine()
    page = story.expect_message(to=alice.email, containing=incident.reference)
    link = _links(page.body)["Acknowledge"]
    browser = HttpClient()
    shown = browser.get(link)  # a mail scanner's prefetch must not acknowledge
    assert shown.status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert browser.post(link).status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.timeline.filter(kind="status", actor=alice).exists()
    assert browser.post(link).status_code == 409  # usable once
    story.run_engine()
    story.fast_forward(minutes=30)
    story.run_engine()
    story.expect_no_messages()  # Bob is never paged


def test_a_link_cannot_do_what_it_was_not_made_for(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    incident = story.incident()
    story.run_engine()
    page = story.expect_message(to=alice.email)
    assert HttpClient().post("/paging/respond/forged-token/").status_code == 404
    reply_token = page.headers["Reply-To"].split("@")[0].removeprefix("page-")
    assert HttpClient().get(f"/paging/respond/{reply_token}/").status_code == 404
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED


def _reply(page: Any, sender: str, text: str) -> bytes:
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = sender, page.headers["Reply-To"], f"Re: {page.subject}"
    reply.set_content(f"{text}\n\n> {page.body.splitlines()[0]}")
    return reply.as_bytes()


def test_replying_resolve_to_the_page_email_resolves(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((10, [alice]))
    incident = story.incident()
    story.run_engine()
    page = story.expect_message(to=alice.email)
    local = page.headers["Reply-To"].split("@")[0]
    page_reply_receive(local_part=local, message=_reply(page, alice.email, "resolve"))
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def _complete(coroutine: Any) -> Any:
    """Run a coroutine that never waits, in this thread and context (so on this test's database
    connection and transaction; asyncio.run would give it a context of its own)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the handler waited for something")


def test_a_reply_through_the_smtp_roles_handler(story: Scenario, monkeypatch: Any) -> None:
    """The smtp role's own handler: 250 for the paged person's reply, 550 for a stranger's.
    Its database calls run inline here (the server's worker thread would not see this test's
    uncommitted rows)."""

    def inline(func: Any) -> Any:
        async def run(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        return run

    monkeypatch.setattr(smtp_role, "_db", inline)
    monkeypatch.setitem(REPLY_HANDLERS, "page-", page_reply_receive)
    alice = story.user("Alice")
    story.policy((10, [alice]))
    incident = story.incident()
    story.run_engine()
    page = story.expect_message(to=alice.email)
    handler = IntakeHandler(domain="in.watchkeeper.example", max_bytes=10**6)

    def deliver(sender: str, text: str) -> str:
        envelope = Envelope()
        rcpt = _complete(handler.handle_RCPT(None, None, envelope, page.headers["Reply-To"], []))
        assert rcpt.startswith("250")
        envelope.original_content = _reply(page, sender, text)
        return str(_complete(handler.handle_DATA(None, None, envelope)))

    assert deliver("mallory@evil.example", "ack").startswith("550")
    assert deliver(alice.email, "what?").startswith("550 5.7.1 Reply with")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert deliver(alice.email, "ack") == "250 2.0.0 Reply received"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED


def test_escalate_to_level_two_by_hand(story: Scenario) -> None:
    alice, bob, carol = story.user("Alice"), story.user("Bob"), story.user("Carol")
    story.policy((10, [alice]), (10, [bob]), (10, [carol]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email)
    incident_escalate(incident=incident, level=2, by=alice)
    story.run_engine()
    story.expect_message(to=bob.email, containing=incident.reference)
    story.fast_forward(minutes=10)
    story.run_engine()
    story.expect_message(to=carol.email, containing=incident.reference)


def test_reassign_pages_the_new_owner(story: Scenario) -> None:
    alice, dave = story.user("Alice"), story.user("Dave")
    story.policy((30, [alice]))
    incident = story.incident()
    story.run_engine()
    story.expect_message(to=alice.email)
    incident_reassign(incident=incident, to=dave, by=alice)
    story.run_engine()
    story.expect_message(to=dave.email, containing=incident.reference)
    incident.refresh_from_db()
    assert incident.owner_id == dave.pk
