"""Delivering client updates: one e-mail per `UpdateDelivery` row, claimed by the engine under a
lease (`engine.outbox`), sent over SMTP to the server `watchkeeper.mail` says, recorded fenced
on the lease with the server's own answer. Temporary failures retry with backoff; a 5xx answer
(a bad address) fails at once; the row keeps the answer for the incident page.

Each message carries the incident's thread: its own Message-ID, and In-Reply-To/References
naming the incident's thread id, so every message about one incident is one conversation in the
client's mailbox. Replies go to `update-<incident>-<signature>@<inbound domain>` (`replies`).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection
from django.db import transaction

from watchkeeper.branding.selectors import brand_current
from watchkeeper.comms.models import ClientUpdate, DeliveryState, IncidentComms, UpdateDelivery
from watchkeeper.comms.replies import reply_address
from watchkeeper.comms.selectors import policy_for
from watchkeeper.core import clock
from watchkeeper.mail.backend import files_note
from watchkeeper.mail.selectors import MailSetup, mail_setup_current
from watchkeeper.mail.transport import SmtpServer, smtp_exchange, smtp_open, smtp_problem

log = logging.getLogger("watchkeeper.comms")

MAX_ATTEMPTS = 6
RECORD_EVERY = 25
RECORD_SECONDS = 1.0


def _one_line(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


@dataclass(frozen=True)
class Common:
    """What every recipient's copy of one update shares (read once per update and batch)."""

    sender: str
    reply_to: str
    thread: str


def common_for(update: ClientUpdate, setup: MailSetup) -> Common:
    incident = update.incident
    policy = policy_for(incident.client)
    from_name = _one_line((policy.from_name if policy else "") or brand_current().name)
    thread = IncidentComms.objects.filter(incident_id=incident.pk).values_list("thread_id", flat=True).first()
    # Replies come back to Watchkeeper (the smtp role) and, when the client's policy names one,
    # to the service desk's own mailbox as well.
    reply_to = [formataddr((from_name, reply_address(incident)))]
    if policy is not None and policy.reply_to:
        reply_to.append(policy.reply_to)
    sender = formataddr((from_name, parseaddr(setup.from_address)[1]))
    return Common(sender=sender, reply_to=", ".join(reply_to), thread=thread or "")


def message_build(row: UpdateDelivery, setup: MailSetup, common: Common | None = None) -> EmailMessage:
    """The e-mail for one recipient, with the incident's thread headers."""
    update = row.update
    common = common or common_for(update, setup)
    message = EmailMessage()
    message["From"] = common.sender
    message["To"] = formataddr((_one_line(row.name), row.address))
    message["Subject"] = _one_line(update.subject)
    message["Date"] = formatdate(clock.now().timestamp(), localtime=False)
    message["Message-ID"] = row.message_id
    if common.thread:
        message["In-Reply-To"] = common.thread
        message["References"] = common.thread
    message["Reply-To"] = common.reply_to
    message["Auto-Submitted"] = "auto-generated"
    message["X-Watchkeeper-Incident"] = update.incident.reference
    message.set_content(update.body)
    return message


class _Sessions(threading.local):
    """One open SMTP connection per engine thread and server, reused from message to message: a
    fan-out of one update to a thousand people is a thousand MAIL/RCPT/DATA exchanges, not a
    thousand connections with TLS and login each. Dropped on any error and after IDLE_SECONDS
    unused (servers close idle connections after a few minutes anyway)."""

    def __init__(self) -> None:
        self.key: SmtpServer | None = None
        self.smtp: smtplib.SMTP | None = None
        self.used = 0.0

    def drop(self) -> None:
        smtp, self.smtp, self.key = self.smtp, None, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


IDLE_SECONDS = 30.0
_sessions = _Sessions()


def smtp_send_reusing(server: SmtpServer, *, sender: str, to: str, message: EmailMessage) -> str:
    """`mail.transport.smtp_deliver` on this thread's open connection to `server` (opened or
    replaced as needed). A connection found closed before anything was sent is reopened once."""
    now = time.monotonic()
    if _sessions.smtp is not None and (_sessions.key != server or now - _sessions.used > IDLE_SECONDS):
        _sessions.drop()
    smtp, fresh = _sessions.smtp, _sessions.smtp is None
    if smtp is None:
        smtp = smtp_open(server)
        _sessions.smtp, _sessions.key = smtp, server
    try:
        answer = smtp_exchange(smtp, sender=sender, to=to, message=message)
    except smtplib.SMTPServerDisconnected:
        _sessions.drop()
        if fresh:
            raise
        return smtp_send_reusing(server, sender=sender, to=to, message=message)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
        _sessions.used = time.monotonic()
        raise
    except BaseException:
        _sessions.drop()
        raise
    _sessions.used = time.monotonic()
    return answer


def _send(row: UpdateDelivery, setup: MailSetup, common: Common | None = None) -> tuple[bool, bool, str]:
    """(sent, permanent failure, the server's answer). Never raises for the network."""
    message = message_build(row, setup, common)
    if setup.server is None:
        headers = {
            k: str(message[k]) for k in ("Message-ID", "In-Reply-To", "References", "Reply-To") if message[k]
        }
        DjangoEmail(
            str(message["Subject"]), row.update.body, str(message["From"]), [row.address],
            connection=get_connection(), headers=headers,
        ).send()  # fmt: skip
        return True, False, files_note()
    try:
        sender = parseaddr(setup.from_address)[1]
        return True, False, smtp_send_reusing(setup.server, sender=sender, to=row.address, message=message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, refusal = next(iter(exc.recipients.values()))
        text = refusal.decode(errors="replace") if isinstance(refusal, bytes) else str(refusal)
        return False, 500 <= code < 600, f"{code} {text}"
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return False, 500 <= exc.smtp_code < 600, f"{exc.smtp_code} {text}"
    except (OSError, smtplib.SMTPException) as exc:
        return False, False, f"{type(exc).__name__}: {smtp_problem(exc, setup.server)}"


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(1800, 30 * 2 ** max(0, attempts - 1)))


Outcome = tuple[bool, bool, str]  # sent, permanent failure, the server's answer


def _attempt(row: UpdateDelivery, setup: MailSetup, common: Common | None = None) -> Outcome:
    try:
        return _send(row, setup, common)
    except Exception as exc:  # a bug must not stop the outbox: recorded, retried
        log.exception("sending client update %s to %s failed", row.update_id, row.address)
        return False, False, f"{type(exc).__name__}: {exc}"


def _settle(row: UpdateDelivery, outcome: Outcome, now: dt.datetime) -> None:
    """Set the row's fields for `outcome` (not saved)."""
    sent, permanent, answer = outcome
    row.response, row.lease_until, row.lease_owner = answer[:2000], None, ""
    if sent:
        row.state, row.sent_at = DeliveryState.SENT, now
    elif permanent or row.attempts >= MAX_ATTEMPTS:
        row.state = DeliveryState.FAILED
    else:
        row.state, row.due_at = DeliveryState.PENDING, now + _backoff(row.attempts)


_SETTLED = ["response", "lease_until", "lease_owner", "state", "sent_at", "due_at"]


def _record(outcomes: list[tuple[UpdateDelivery, Outcome]], owner: str) -> None:
    """Record several answers in one transaction, fenced on the lease: a row another engine took
    over after our lease expired keeps that engine's answer."""
    if not outcomes:
        return
    now = clock.now()
    with transaction.atomic():
        ids = [row.pk for row, _ in outcomes]
        fenced = UpdateDelivery.objects.filter(pk__in=ids, state=DeliveryState.SENDING, lease_owner=owner)
        if transaction.get_connection().vendor == "postgresql":
            fenced = fenced.select_for_update()
        mine = set(fenced.values_list("pk", flat=True))
        rows = []
        for row, outcome in outcomes:
            if row.pk in mine:
                _settle(row, outcome, now)
                rows.append(row)
        UpdateDelivery.objects.bulk_update(rows, _SETTLED)


def update_deliver(*, row: UpdateDelivery, owner: str, setup: MailSetup | None = None) -> str:
    """Send one claimed row (its lease held by `owner`) and record the answer; returns the
    state it ended in. Caller is outside any transaction."""
    outcome = _attempt(row, setup or mail_setup_current())
    _record([(row, outcome)], owner)
    return str(row.state)


def updates_deliver(*, rows: list[UpdateDelivery], owner: str, setup: MailSetup | None = None) -> None:
    """Send a claimed batch over one connection, recording the answers together every
    RECORD_EVERY sends or RECORD_SECONDS: one commit per chunk instead of per message. An engine
    that dies mid-chunk leaves that chunk's leases to expire: at most RECORD_EVERY e-mails are
    sent twice (as with pages, a rare duplicate beats a lost message). Caller is outside any
    transaction."""
    setup = setup or mail_setup_current()
    shared: dict[int, Common] = {}
    chunk: list[tuple[UpdateDelivery, Outcome]] = []
    started = time.monotonic()
    for row in rows:
        if setup.server is not None and row.update_id not in shared:
            shared[row.update_id] = common_for(row.update, setup)
        chunk.append((row, _attempt(row, setup, shared.get(row.update_id))))
        if len(chunk) >= RECORD_EVERY or time.monotonic() - started > RECORD_SECONDS:
            _record(chunk, owner)
            chunk, started = [], time.monotonic()
    _record(chunk, owner)
