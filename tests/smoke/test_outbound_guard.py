"""Stories of the SSRF guard at send time: a webhook that points at an internal address now (it
was allowed once, or its name resolves differently) fails for good with the reason recorded on
the message and the timeline, and the page falls back to the next contact method at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.smoke.harness import Scenario
from watchkeeper.core import netguard
from watchkeeper.paging.models import MessageState, OutboxMessage

pytestmark = pytest.mark.django_db


def _alice_with_webhook_then_email(story: Scenario, webhook: str) -> Any:
    alice = story.user("Alice", methods=[])
    story.contact(alice, "webhook", webhook, delay=0)
    story.contact(alice, "email", "alice@msp.example", delay=10)
    story.policy((60, [alice]))
    return alice


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("10.0.0.5", "10.0.0.5 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address (the cloud metadata service)"),
        ("[::1]", "::1 is a loopback address"),
    ],
)
def test_a_refused_webhook_fails_for_good_and_falls_back(
    story: Scenario, settings: Any, host: str, reason: str
) -> None:
    settings.OUTBOUND_ALLOW = []  # the operator took the allowance back after the method was saved
    _alice_with_webhook_then_email(story, f"json://{host}:9/alice-push")
    incident = story.incident()
    story.run_engine()
    # Not in 10 minutes: the webhook failed for good, so the e-mail goes now.
    story.expect_message(to="alice@msp.example", containing=incident.reference)
    refused = OutboxMessage.objects.get(contact_method__kind="webhook")
    assert refused.state == MessageState.FAILED
    assert refused.provider_response.startswith("refused by the outbound guard: ")
    assert reason in refused.provider_response
    assert "WATCHKEEPER_OUTBOUND_ALLOW" in refused.provider_response
    assert incident.timeline.filter(kind="page", text__contains=reason).exists()


def test_a_name_that_resolves_internally_at_send_time_is_refused(story: Scenario, monkeypatch: Any) -> None:
    """Saved while hooks.alpha.example was public; by the time of the page it points inside."""
    _alice_with_webhook_then_email(story, "json://hooks.alpha.example/alice-push")
    monkeypatch.setattr(netguard, "resolve", lambda host: ["10.9.8.7"])
    incident = story.incident()
    story.run_engine()
    story.expect_message(to="alice@msp.example", containing=incident.reference)
    refused = OutboxMessage.objects.get(contact_method__kind="webhook")
    assert refused.state == MessageState.FAILED
    assert "hooks.alpha.example resolves to 10.9.8.7, a private address" in refused.provider_response


def test_the_allowlisted_loopback_receiver_gets_the_page(story: Scenario, settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    _alice_with_webhook_then_email(story, "webhook:alice-push")
    incident = story.incident()
    story.run_engine()
    story.expect_message(to="/alice-push", containing=incident.reference)
    story.fast_forward(minutes=10)
    story.run_engine()
    story.expect_message(to="alice@msp.example", containing=incident.reference)
