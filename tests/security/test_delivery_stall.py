"""A hostile contact method must not hold back anybody else's page (issue 12 items 7 and 8):
client A's person has a webhook at a listener that accepts and never answers, with Apprise's
`?rto=25`; client B's P1 is paged within its normal time, through the engine. And a title with a
newline (a header injection, once an unrecorded crash retried for ever) is sent on one line."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.security.receivers import SilentListener
from tests.smoke.harness import Scenario
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.engine.loop import warm_up
from watchkeeper.incidents.services import incident_open
from watchkeeper.paging import delivery
from watchkeeper.paging.delivery import Outgoing, apprise_send, apprise_url_hosts
from watchkeeper.paging.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    MessageState,
    OutboxMessage,
    TargetKind,
)

pytestmark = pytest.mark.django_db


def _arrival(story: Scenario, to: str) -> dict[str, float]:
    """Watches the sinks from another thread: when a message to `to` arrived (monotonic)."""
    seen: dict[str, float] = {}

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen:
            with story.sinks.recorder.lock:
                if any(m.to == to for m in story.sinks.recorder.messages):
                    seen["at"] = time.monotonic()
            time.sleep(0.01)

    threading.Thread(target=watch, daemon=True).start()
    return seen


def test_a_silent_receiver_of_client_a_does_not_delay_client_b_p1(story: Scenario, settings: Any) -> None:
    settings.DELIVERY_DEADLINE_SECONDS = 3
    warm_up()  # what a starting engine loads before its first cycle (the URL configuration)
    apprise_url_hosts("json://127.0.0.1/warm-up")  # and Apprise's plugins, loaded on first use
    with SilentListener() as silent:
        alice = story.user("Alice", methods=[])  # client A (the story's Acme)
        story.contact(alice, "webhook", f"json://127.0.0.1:{silent.port}/hook?rto=25&cto=25")
        story.policy((60, [alice]))
        bravo = ClientFactory(name="Bravo Logistics", slug="bravo")
        bob = story.user("Bob")
        policy = EscalationPolicy.objects.create(name="Bravo on call", client=bravo, is_default=True)
        level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=60)
        EscalationTarget.objects.create(level=level, kind=TargetKind.USER, user=bob)
        first = story.incident()  # A's page is first in the batch
        started = time.monotonic()
        second = incident_open(
            client=bravo, service=ServiceFactory(client=bravo), title="Warehouse down", impact="high",
            urgency="high", by="monitoring",
        )  # fmt: skip
        seen = _arrival(story, bob.email)
        story.run_engine()
        engine_took = time.monotonic() - started
    assert seen["at"] - started < 2, f"B's P1 took {seen['at'] - started:.1f} s"
    story.expect_message(to=bob.email, containing=second.reference)
    assert engine_took < 3 + 2  # the deadline, not the URL's 25 s
    stalled = OutboxMessage.objects.get(incident=first)
    assert stalled.state == MessageState.PENDING  # a temporary failure: retried with backoff
    assert "no answer within 3 seconds" in stalled.provider_response


def test_apprise_timeouts_in_the_url_are_replaced_by_ours(monkeypatch: Any) -> None:
    monkeypatch.setattr(delivery, "APPRISE_READ_SECONDS", 1.0)
    with SilentListener() as silent:
        started = time.monotonic()
        sent = apprise_send(Outgoing(to=f"json://127.0.0.1:{silent.port}/h?rto=25", subject="P1", text="x"))
        took = time.monotonic() - started
    assert not sent.ok and not sent.permanent
    assert took < 4, f"the send took {took:.1f} s: the URL's rto=25 was obeyed"


def test_a_newline_in_a_title_is_sent_on_one_line_and_injects_no_header(story: Scenario) -> None:
    alice = story.user("Alice")
    story.policy((60, [alice]))
    incident = story.incident("Disk full\r\nBcc: everyone@evil.example\nX-Evil: 1")
    story.run_engine()
    page = story.expect_message(to=alice.email, containing=incident.reference)
    assert "Disk full Bcc: everyone@evil.example X-Evil: 1" in page.subject
    assert "X-Evil" not in page.headers and "Bcc" not in page.headers


def test_an_error_in_a_send_is_a_recorded_failure_and_the_page_falls_back(
    story: Scenario, monkeypatch: Any
) -> None:
    alice = story.user("Alice", methods=[("email", "alice@msp.example", 0), ("webhook", "webhook:alice", 10)])
    story.policy((60, [alice]))

    def broken(outgoing: Outgoing, **kwargs: Any) -> Any:
        raise RuntimeError("a bug nobody expected")

    monkeypatch.setattr(delivery, "email_send", broken)
    incident = story.incident()
    story.run_engine()
    story.expect_message(to="/alice", containing=incident.reference)  # now, not in 10 minutes
    failed = OutboxMessage.objects.get(incident=incident, contact_method__kind="email")
    assert failed.state == MessageState.FAILED
    assert "RuntimeError: a bug nobody expected" in failed.provider_response


def test_a_newline_in_client_a_title_holds_back_neither_its_page_nor_client_b_p1(story: Scenario) -> None:
    """Item 8's proof with two clients: A's title once raised in the header before the attempt was
    recorded (retried for ever); now A's page and B's P1 both go out in the same engine run."""
    alice = story.user("Alice")
    story.policy((60, [alice]))
    bravo = ClientFactory(name="Bravo Logistics", slug="bravo")
    bob = story.user("Bob")
    policy = EscalationPolicy.objects.create(name="Bravo on call", client=bravo, is_default=True)
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=60)
    EscalationTarget.objects.create(level=level, kind=TargetKind.USER, user=bob)
    first = story.incident("Disk full\r\nX-Evil: 1")
    second = incident_open(
        client=bravo, service=ServiceFactory(client=bravo), title="Warehouse down", impact="high",
        urgency="high", by="monitoring",
    )  # fmt: skip
    story.run_engine()
    story.expect_message(to=bob.email, containing=second.reference)
    story.expect_message(to=alice.email, containing="Disk full X-Evil: 1")
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {MessageState.SENT}
    assert OutboxMessage.objects.get(incident=first).attempts == 1
