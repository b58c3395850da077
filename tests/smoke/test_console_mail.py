"""Stories of outgoing mail set in the console: a page goes through the console's server, the
environment's server wins when it is set, and a change applies from the next message on."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from tests.smoke.harness import Scenario, free_port
from watchkeeper.mail.models import MailSettings

pytestmark = pytest.mark.django_db


def _console(port: int, from_address: str = "console-pager@msp.example") -> None:
    MailSettings.objects.update_or_create(
        pk=1, defaults={"host": "127.0.0.1", "port": port, "security": "none", "from_address": from_address}
    )


def test_a_page_goes_through_the_server_set_in_the_console(story: Scenario, settings: Any) -> None:
    settings.SMTP_FROM_ENVIRONMENT = False  # no WATCHKEEPER_SMTP_URL
    _console(story.sinks.smtp_port)
    alice = story.user("Alice")
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    page = story.expect_message(to=alice.email, containing=incident.reference)
    assert page.headers["From"] == "console-pager@msp.example"


def test_the_environment_wins_over_the_console(story: Scenario) -> None:
    _console(free_port())  # nothing listens there: a page sent through it would fail
    alice = story.user("Alice")
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    page = story.expect_message(to=alice.email, containing=incident.reference)
    assert page.headers["From"] == "pager@watchkeeper.example"  # WATCHKEEPER_EMAIL_FROM's


def test_a_console_change_applies_to_the_next_message(story: Scenario, settings: Any) -> None:
    settings.SMTP_FROM_ENVIRONMENT = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # stands in for files
    alice = story.user("Alice")
    story.policy((5, [alice]), repeat=1)
    incident = story.incident()
    story.run_engine()
    assert [m.to for m in mail.outbox] == [[alice.email]]  # no server yet: kept, not sent
    _console(story.sinks.smtp_port)  # an admin saves a server; the engine is not restarted
    story.fast_forward(minutes=5)
    story.run_engine()
    story.expect_message(to=alice.email, containing=incident.reference)
