"""Inbound e-mail: the real SMTP server on loopback, the inbox, the engine, and the rules."""

from __future__ import annotations

import email.policy
import smtplib
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any, cast

import pytest
from django.db import DatabaseError

from tests.alerts.factories import IntegrationFactory
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.redact import address_mask
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.alerts.sources.email import smtp
from watchkeeper.alerts.sources.email.parse import (
    email_config_validate,
    email_payload,
    parse_email,
    subject_normalise,
)
from watchkeeper.cli import main
from watchkeeper.incidents.models import Incident

DOMAIN = "alerts.example.com"
# The SMTP server writes from its own thread, so these tests commit for real. The flush after
# each one would also remove the policy the migrations loaded; serialized_rollback restores it.
server_test = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _message(subject: str, body: str = "Check output: connection refused", **headers: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = headers.get("sender", "Nagios <nagios@monitor.example>")
    message["To"] = headers.get("to", f"ops@{DOMAIN}")
    message["Message-ID"] = headers.get("message_id", "<1@monitor.example>")
    message["Date"] = "Tue, 01 Apr 2025 10:00:00 +0200"
    message.set_content(body)
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as SMTP wants


@pytest.fixture
def smtp_port(settings: Any) -> Iterator[int]:
    """The smtp role's server on a free loopback port, in a thread of this test."""
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.INBOUND_EMAIL_MAX_BYTES = 64 * 1024
    limiter.reset()
    stop, ready, bound = threading.Event(), threading.Event(), []

    def on_ready(host: str, port: int) -> None:
        bound.append(port)
        ready.set()

    thread = threading.Thread(
        target=smtp.smtp_serve, kwargs={"host": "127.0.0.1", "port": 0, "stop": stop, "on_ready": on_ready}
    )
    thread.start()
    try:
        assert ready.wait(10), "the SMTP server did not start"
        yield bound[0]
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive(), "the SMTP server did not stop"


def _send(port: int, recipients: list[str], message: bytes) -> dict[str, Any]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail("nagios@monitor.example", recipients, message)


def _integration(**extra: Any) -> Integration:
    return cast(Integration, IntegrationFactory(**{"type": "email", **extra}))


# --- through the server -----------------------------------------------------------------------


@server_test
def test_problem_mail_opens_an_incident_and_recovery_resolves_it(smtp_port: int) -> None:
    integration = _integration()
    # The local part is case-insensitive: some mail clients upper-case addresses.
    address = f"{integration.key.upper()}@{DOMAIN.upper()}"
    assert _send(smtp_port, [address], _message("** PROBLEM Service Alert: web01/HTTP is CRITICAL **")) == {}
    row = InboxEvent.objects.get()
    assert (row.kind, row.integration_id, row.status) == ("email", integration.pk, "pending")
    assert row.payload["subject"] == "** PROBLEM Service Alert: web01/HTTP is CRITICAL **"
    assert row.payload["body"] == "Check output: connection refused"
    assert row.payload["to"] == address_mask(address)  # the key stays out of the stored event (ADR 0025)
    assert row.payload["message_id"] == "<1@monitor.example>"
    assert inbox_process() == 1
    alert = Alert.objects.get()
    incident = Incident.objects.get()
    assert alert.incident == incident
    assert (alert.status, alert.severity, alert.dedup_key) == (
        "triggered",
        "error",
        "service alert web01/http is",
    )
    assert alert.summary == "** PROBLEM Service Alert: web01/HTTP is CRITICAL **"
    assert alert.source == "Nagios <nagios@monitor.example>"

    recovery = _message("** RECOVERY Service Alert: web01/HTTP is OK **", message_id="<2@monitor.example>")
    _send(smtp_port, [f"{integration.key}@{DOMAIN}"], recovery)
    assert inbox_process() == 1
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert (alert.status, incident.status) == ("resolved", "resolved")
    assert Alert.objects.count() == 1


@server_test
def test_one_message_to_two_integrations_makes_two_rows(smtp_port: int) -> None:
    first, second = _integration(), _integration()
    recipients = [f"{first.key}@{DOMAIN}", f"{second.key}@{DOMAIN}"]
    assert _send(smtp_port, recipients, _message("Problem: backup failed on srv01")) == {}
    rows = list(InboxEvent.objects.order_by("integration_id"))
    assert [row.integration_id for row in rows] == sorted([first.pk, second.pk])
    assert {row.payload["to"] for row in rows} == {address_mask(address) for address in recipients}
    inbox_process()
    assert Alert.objects.count() == 2
    assert set(Alert.objects.values_list("client_id", flat=True)) == {first.client_id, second.client_id}


@server_test
def test_unknown_wrong_domain_disabled_and_other_type_recipients_are_refused_at_rcpt(smtp_port: int) -> None:
    disabled = _integration(is_enabled=False)
    pagerduty = _integration(type="pagerduty")
    for address in (
        f"{'x' * 32}@{DOMAIN}",
        f"{disabled.key}@{DOMAIN}",
        f"{pagerduty.key}@{DOMAIN}",
        f"{_integration().key}@elsewhere.example",
        "postmaster",
    ):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            _send(smtp_port, [address], _message("Problem: disk full"))
        code, text = refused.value.recipients[address]
        assert code == 550, (address, text)
        assert b"integration key" in text or b"integration's page" in text
    assert not InboxEvent.objects.exists()


@server_test
def test_a_refused_recipient_does_not_stop_the_others(smtp_port: int) -> None:
    integration = _integration()
    good, bad = f"{integration.key}@{DOMAIN}", f"{'y' * 32}@{DOMAIN}"
    refused = _send(smtp_port, [bad, good], _message("Problem: disk full"))
    assert refused[bad][0] == 550
    assert InboxEvent.objects.get().integration_id == integration.pk


@server_test
def test_oversize_message_is_refused(smtp_port: int) -> None:
    integration = _integration()
    address = f"{integration.key}@{DOMAIN}"
    big = _message("Problem: huge", body="x" * 70 + ("\n" + "x" * 70) * 1000)
    # smtplib announces the size (SIZE extension), so the server refuses at MAIL FROM …
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        _send(smtp_port, [address], big)
    assert refused.value.smtp_code == 552
    # … and a sender that does not announce it is refused at the end of DATA.
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        assert client.ehlo()[0] == 250
        assert client.has_extn("size")
        assert client.mail("nagios@monitor.example")[0] == 250
        assert client.rcpt(address)[0] == 250
        code, text = client.data(big)
    assert code == 552, text
    assert not InboxEvent.objects.exists()


@server_test
def test_database_failure_answers_451_so_the_sender_retries(
    smtp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    integration = _integration()

    def broken(**kwargs: Any) -> InboxEvent:
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(smtp, "inbox_add", broken)
    with pytest.raises(smtplib.SMTPDataError) as failed:
        _send(smtp_port, [f"{integration.key}@{DOMAIN}"], _message("Problem: disk full"))
    assert failed.value.smtp_code == 451


@pytest.mark.django_db
def test_undecodable_bytes_and_nul_are_stored_cleanly() -> None:
    # PostgreSQL's jsonb refuses lone surrogates and NUL; a sender must not be able to make
    # every delivery attempt fail with them.
    integration = _integration()
    raw = b"Subject: caf\xe9 \x00down\r\nFrom: \xff <x@y>\r\n\r\nbody\x00 \xff\r\n"
    [row] = smtp.email_accept(message=raw, routes=[("k@d", integration)])
    row.refresh_from_db()
    text = "".join(row.payload.values())
    assert "\x00" not in text
    assert not any("\ud800" <= char <= "\udfff" for char in text)
    assert row.payload["subject"].startswith("caf")
    assert row.payload["body"].startswith("body")


@pytest.mark.django_db
def test_smtp_command_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["smtp", "--host", "127.0.0.1", "--port", str(port)]) == 1
    assert "cannot listen for e-mail" in capsys.readouterr().err


# --- parsing and rules ------------------------------------------------------------------------


def test_payload_prefers_plain_text_and_strips_html() -> None:
    message = EmailMessage()
    message["Subject"] = "Grüße: [✅ Up] shop.example"
    message.set_content("plain wins")
    message.add_alternative("<p>html loses</p>", subtype="html")
    assert email_payload(message.as_bytes(), to="a@b")["body"] == "plain wins"
    html_only = EmailMessage()
    html_only["Subject"] = "Monitor is DOWN: shop.example"
    html_only.set_content(
        "<html><head><style>p{}</style></head><body><p>Site is <b>down</b> &amp; slow</p>"
        "<script>track()</script></body></html>",
        subtype="html",
    )
    payload = email_payload(html_only.as_bytes(), to="a@b")
    assert payload["body"] == "Site is down & slow"
    assert email_payload(message.as_bytes(), to="a@b")["subject"] == "Grüße: [✅ Up] shop.example"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"no headers at all",
        b"Subject: =?unknown-8bit?q?=FF?=\r\nFrom: <<<>>>\r\nDate: yesterday-ish\r\n"
        b"Content-Type: text/plain; charset=klingon\r\n\r\nbody \xff\xfe\x00\r\n",
        b"Content-Type: multipart/mixed; boundary=none\r\n\r\n--wrong\r\nbroken",
    ],
)
def test_malformed_mail_still_makes_a_payload_that_parses(raw: bytes) -> None:
    payload = email_payload(raw, to="k@d")
    assert set(payload) == {"subject", "from", "to", "message_id", "date", "body"}
    event = parse_email(payload, config={})
    assert event.action == "trigger"
    assert event.summary
    assert event.dedup_key


def test_long_body_is_cut() -> None:
    payload = email_payload(_message("Problem", body="y" * 100_000), to="k@d")
    assert 10_000 < len(payload["body"]) <= 16 * 1024


@pytest.mark.parametrize(
    ("problem", "recovery"),
    [
        (
            "** PROBLEM Service Alert: web01/HTTP is CRITICAL **",
            "** RECOVERY Service Alert: web01/HTTP is OK **",
        ),
        ("Problem: High CPU on web01", "Resolved in 5m 12s: High CPU on web01"),
        ("Monitor is DOWN: shop.example", "Re: Monitor is UP: shop.example"),
        ("PROBLEM: disk full on srv01", "RESOLVED: disk full on srv01"),
    ],
)
def test_problem_and_recovery_share_a_dedup_key(problem: str, recovery: str) -> None:
    opened = parse_email({"subject": problem}, config={})
    closed = parse_email({"subject": recovery}, config={})
    assert (opened.action, closed.action) == ("trigger", "resolve")
    assert opened.dedup_key == closed.dedup_key != ""
    assert subject_normalise(problem) == opened.dedup_key


def test_configured_rules() -> None:
    config = {
        "email": {
            "resolve_subject_regex": r"\bcleared\b",
            "dedup_key_regex": r"ticket #(?P<key>\d+)",
            "severity": "warning",
            "severity_regex": {"critical": r"\bsev ?1\b", "info": "informational"},
        }
    }
    event = parse_email({"subject": "Alarm raised", "body": "ticket #4711, SEV1"}, config=config)
    assert (event.action, event.dedup_key, event.severity) == ("trigger", "4711", "critical")
    event = parse_email({"subject": "Alarm CLEARED for ticket #4711"}, config=config)
    assert (event.action, event.dedup_key, event.severity) == ("resolve", "4711", "warning")
    # "OK" resolves only by default; the configured regex replaced it.
    assert parse_email({"subject": "All OK"}, config=config).action == "trigger"
    assert parse_email({"subject": "All OK"}, config={"email": {"resolve_subject_regex": None}}).action == (
        "trigger"
    )
    # A group without a name counts too; no match falls back to the subject.
    numbered = {"email": {"dedup_key_regex": r"host=(\S+)"}}
    assert parse_email({"subject": "x", "body": "host=db01 down"}, config=numbered).dedup_key == "db01"
    assert parse_email({"subject": "Disk full"}, config=numbered).dedup_key == "disk full"


def test_invalid_rules_are_reported_and_fall_back_to_defaults() -> None:
    config = {
        "email": {
            "resolve_subject_regex": "(",
            "dedup_key_regex": 7,
            "severity": "loud",
            "severity_regex": {"critical": "[", "urgent": "x"},
            "colour": "red",
        }
    }
    errors = email_config_validate(config)
    assert len(errors) == 6, errors
    assert any(
        "resolve_subject_regex" in error and "not a valid regular expression" in error for error in errors
    )
    assert any('"colour"' in error for error in errors)
    event = parse_email({"subject": "RESOLVED: Disk full"}, config=config)
    assert (event.action, event.severity, event.dedup_key) == ("resolve", "error", "disk full")
    assert email_config_validate({}) == []
    assert email_config_validate({"email": {"severity_regex": {"critical": "DOWN"}}}) == []
    assert email_config_validate({"email": []}) != []
    assert email_config_validate(None) != []
