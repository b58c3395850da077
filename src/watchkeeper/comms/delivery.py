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
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection
from django.db.models import Q

from watchkeeper.branding.selectors import brand_current
from watchkeeper.comms.models import DeliveryState, IncidentComms, UpdateDelivery
from watchkeeper.comms.replies import reply_address
from watchkeeper.comms.selectors import policy_for
from watchkeeper.core import clock
from watchkeeper.mail.backend import files_note
from watchkeeper.mail.selectors import MailSetup, mail_setup_current
from watchkeeper.mail.transport import smtp_deliver, smtp_problem

log = logging.getLogger("watchkeeper.comms")

MAX_ATTEMPTS = 6


def _one_line(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def message_build(row: UpdateDelivery, setup: MailSetup) -> EmailMessage:
    """The e-mail for one recipient, with the incident's thread headers."""
    update = row.update
    incident = update.incident
    policy = policy_for(incident.client)
    from_name = (policy.from_name if policy else "") or brand_current().name
    sender = formataddr((_one_line(from_name), parseaddr(setup.from_address)[1]))
    thread = IncidentComms.objects.filter(incident_id=incident.pk).values_list("thread_id", flat=True).first()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((_one_line(row.name), row.address))
    message["Subject"] = _one_line(update.subject)
    message["Date"] = formatdate(clock.now().timestamp(), localtime=False)
    message["Message-ID"] = row.message_id
    if thread:
        message["In-Reply-To"] = thread
        message["References"] = thread
    # Replies come back to Watchkeeper (the smtp role) and, when the client's policy names one,
    # to the service desk's own mailbox as well.
    reply_to = [formataddr((_one_line(from_name), reply_address(incident)))]
    if policy is not None and policy.reply_to:
        reply_to.append(policy.reply_to)
    message["Reply-To"] = ", ".join(reply_to)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Watchkeeper-Incident"] = incident.reference
    message.set_content(update.body)
    return message


def _send(row: UpdateDelivery, setup: MailSetup) -> tuple[bool, bool, str]:
    """(sent, permanent failure, the server's answer). Never raises for the network."""
    message = message_build(row, setup)
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
        return True, False, smtp_deliver(setup.server, sender=sender, to=row.address, message=message)
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


def update_deliver(*, row: UpdateDelivery, owner: str, setup: MailSetup | None = None) -> str:
    """Send one claimed row (its lease held by `owner`) and record the answer; returns the
    state it ended in. Caller is outside any transaction."""
    setup = setup or mail_setup_current()
    try:
        sent, permanent, answer = _send(row, setup)
    except Exception as exc:  # a bug must not stop the outbox: recorded, retried
        log.exception("sending client update %s to %s failed", row.update_id, row.address)
        sent, permanent, answer = False, False, f"{type(exc).__name__}: {exc}"
    now = clock.now()
    fields: dict[str, object] = {"response": answer[:2000], "lease_until": None, "lease_owner": ""}
    if sent:
        fields.update(state=DeliveryState.SENT, sent_at=now)
    elif permanent or row.attempts >= MAX_ATTEMPTS:
        fields.update(state=DeliveryState.FAILED)
    else:
        fields.update(state=DeliveryState.PENDING, due_at=now + _backoff(row.attempts))
    mine = Q(pk=row.pk, state=DeliveryState.SENDING, lease_owner=owner)
    UpdateDelivery.objects.filter(mine).update(**fields)
    return str(fields["state"])
