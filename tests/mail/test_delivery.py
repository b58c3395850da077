"""Sending through the console's server, for real, to an SMTP server on loopback that wants a
login: the test e-mail and its answers in plain words, Django's mail API, and the environment's
precedence as settings.py reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from tests.accounts.factories import UserFactory
from tests.mail.conftest import AuthSink, console_server
from tests.smoke.harness import free_port
from watchkeeper.accounts.models import Role
from watchkeeper.mail.services import mail_test_send
from watchkeeper.paging.delivery import Outgoing, email_send

pytestmark = [
    pytest.mark.django_db,
    # aiosmtpd warns that AUTH without TLS is unsafe: true, and this is loopback in a test.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


@pytest.fixture
def admin(no_env_smtp: Any) -> Any:
    return UserFactory(role=Role.OWNER, email="owner@msp.example")


def test_the_test_e_mail_reports_the_servers_answer(admin: Any, auth_sink: AuthSink) -> None:
    console_server(auth_sink.port)
    result = mail_test_send(actor=admin)
    assert result.ok, result.text
    assert result.text.startswith(
        f"Sent a test e-mail to owner@msp.example through 127.0.0.1:{auth_sink.port}."
    )
    assert "The server answered: 250 Message accepted for delivery" in result.text
    (message,) = auth_sink.recorder.messages
    assert (message.to, message.subject) == ("owner@msp.example", "Watchkeeper test e-mail")
    assert message.headers["From"] == "pager@watchkeeper.example"
    assert auth_sink.logins == ["watchkeeper:ok"]


def test_a_bad_password_is_refused_in_plain_words(admin: Any, auth_sink: AuthSink) -> None:
    console_server(auth_sink.port, password="not-the-password")
    result = mail_test_send(actor=admin)
    assert not result.ok
    assert result.text == (
        "The test e-mail was not sent. The server refused the user name or password "
        "(535 5.7.8 Authentication credentials invalid)."
    )
    assert auth_sink.recorder.messages == []


def test_nothing_listening_and_no_starttls_are_explained(admin: Any, auth_sink: AuthSink) -> None:
    port = free_port()
    console_server(port)
    text = mail_test_send(actor=admin).text
    assert f"Nothing accepts connections at 127.0.0.1:{port} (connection refused)" in text
    console_server(auth_sink.port, security="starttls")
    text = mail_test_send(actor=admin).text
    assert f"127.0.0.1:{auth_sink.port} does not offer STARTTLS" in text


def test_without_a_server_the_test_says_nothing_was_sent(admin: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    result = mail_test_send(actor=admin)
    assert not result.ok
    assert result.text.startswith("No SMTP server is set, so nothing was sent")
    assert [m.to for m in mail.outbox] == [["owner@msp.example"]]


def test_pages_and_djangos_mail_api_log_in_to_the_console_server(admin: Any, auth_sink: AuthSink) -> None:
    console_server(auth_sink.port)
    delivery = email_send(Outgoing(to="alice@msp.example", subject="P1: mail server down", text="Look"))
    assert delivery.ok and delivery.response.startswith("250 "), delivery
    # Password resets and SLA reports use Django's mail API: the same server, the same From.
    assert mail.send_mail("SLA report", "Attached.", None, ["client@alpha.example"]) == 1
    received = {(m.to, m.headers["From"]) for m in auth_sink.recorder.messages}
    assert received == {
        ("alice@msp.example", "pager@watchkeeper.example"),
        ("client@alpha.example", "pager@watchkeeper.example"),
    }
    assert auth_sink.logins == ["watchkeeper:ok", "watchkeeper:ok"]


def test_a_page_with_a_bad_password_fails_for_good(admin: Any, auth_sink: AuthSink) -> None:
    console_server(auth_sink.port, password="expired-Password")
    delivery = email_send(Outgoing(to="alice@msp.example", subject="P1", text="Look"))
    assert not delivery.ok and delivery.permanent
    assert delivery.response.startswith("535 ")


def test_the_environment_variable_decides_in_settings(tmp_path: Path) -> None:
    """What settings.py makes of WATCHKEEPER_SMTP_URL, in a fresh interpreter (settings are
    read once per process): the environment's server, without asking the database."""
    code = (
        "import django, json; django.setup();"
        "from watchkeeper.mail.selectors import mail_setup_current as m; s = m();"
        "print(json.dumps([s.source, s.server.host, s.server.port, s.server.security,"
        " s.server.username, s.server.password, s.from_address]))"
    )
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "watchkeeper.config.settings",
        "WATCHKEEPER_DATA_DIR": str(tmp_path), "WATCHKEEPER_SMTP_URL": "smtp://relay:p%40ss@mail.env.example:2587?starttls=1",
        "WATCHKEEPER_EMAIL_FROM": "env@msp.example",
    }  # fmt: skip
    env.pop("WATCHKEEPER_DATABASE_URL", None)  # no database needed: the query would fail loudly
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert json.loads(out.stdout) == [
        "environment", "mail.env.example", 2587, "starttls", "relay", "p@ss", "env@msp.example"
    ]  # fmt: skip
