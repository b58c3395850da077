"""Stories of outgoing mail set in the console: a page goes through the console's server, the
environment's server wins when it is set, and a change applies from the next message on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail

from tests.smoke.harness import Scenario, free_port
from watchkeeper.mail.models import MailSettings
from watchkeeper.paging.models import OutboxMessage

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


def test_a_page_kept_as_a_file_names_no_server_path(story: Scenario, settings: Any, tmp_path: Any) -> None:
    """With no server anywhere, pages are written to files in EMAIL_FILE_PATH; the outbox row and
    the incident's timeline, which every technician reads, say so without naming the folder."""
    settings.SMTP_FROM_ENVIRONMENT = False
    settings.EMAIL_BACKEND = "watchkeeper.mail.backend.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "srv-secret-mail")
    alice = story.user("Alice")
    story.policy((60, [alice]))
    incident = story.incident()
    story.run_engine()
    assert len(list((tmp_path / "srv-secret-mail").iterdir())) == 1  # the page was kept
    message = OutboxMessage.objects.get(incident=incident, user=alice)
    assert message.state == "sent"
    assert "srv-secret-mail" not in message.provider_response
    assert message.provider_response.startswith("no SMTP server set: kept as a file on the server")
    entries = incident.timeline.filter(kind="page", text__contains="kept as a file")
    assert entries.count() == 1
    for entry in incident.timeline.all():
        assert "srv-secret-mail" not in entry.text and "srv-secret-mail" not in json.dumps(entry.data)
