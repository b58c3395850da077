"""Django's mail API (password resets, SLA reports…) through the server of the moment.

settings.EMAIL_BACKEND names this class. Each batch of messages asks `mail_setup_current()` and
hands them to Django's SMTP backend with that server, or to its file backend when there is none.
Messages from the installation's default sender get the console's From address, under the
display name the message gave (an MSP's name on client e-mails), if any.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import filebased, smtp
from django.core.mail.backends.base import BaseEmailBackend

from watchkeeper.mail.selectors import MailSetup, mail_setup_current
from watchkeeper.mail.transport import STARTTLS, TLS

THIS_BACKEND = f"{__name__}.EmailBackend"


# Where mail goes while no server is set, as delivery records (outbox rows, the incident
# timeline) say it: every technician reads those, so they name no server path. The folder is
# shown only to whoever may set up outgoing mail (Outgoing mail settings).
FILES_NOTE = "no SMTP server set: kept as a file on the server (see Outgoing mail settings)"

# Rows written before FILES_NOTE named the folder: "written to a file in /srv/…/mail".
_OLD_FILES_NOTE = re.compile(r"written to a file in \S[^\n]*?(?=\)?\s*$)", re.MULTILINE)


def files_note() -> str:
    """Where mail goes while no server is set (for delivery records)."""
    if settings.EMAIL_BACKEND == THIS_BACKEND:
        return FILES_NOTE
    return f"no SMTP server set: kept by Django's {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} backend"


def server_paths_hidden(text: str) -> str:
    """`text` of a delivery record without the server's mail folder or data directory, for rows
    written before FILES_NOTE stopped naming them."""
    text = _OLD_FILES_NOTE.sub("kept as a file on the server", text)
    for folder in (settings.EMAIL_FILE_PATH, str(settings.DATA_DIR)):
        if folder and folder in text:
            text = text.replace(folder, "the server's data folder")
    return text


def _backend_for(setup: MailSetup, fail_silently: bool) -> BaseEmailBackend:
    server = setup.server
    if server is None:
        return filebased.EmailBackend(file_path=settings.EMAIL_FILE_PATH, fail_silently=fail_silently)
    return smtp.EmailBackend(
        host=server.host, port=server.port, username=server.username, password=server.password,
        use_tls=server.security == STARTTLS, use_ssl=server.security == TLS, timeout=server.timeout,
        fail_silently=fail_silently,
    )  # fmt: skip


def _sender(from_email: str, setup: MailSetup) -> str:
    """The console's From address for a message from the default sender, keeping its display
    name; any other sender unchanged."""
    name, address = parseaddr(from_email)
    if from_email != settings.DEFAULT_FROM_EMAIL and address != parseaddr(settings.DEFAULT_FROM_EMAIL)[1]:
        return from_email
    if not name or from_email == settings.DEFAULT_FROM_EMAIL:
        return setup.from_address
    return formataddr((name, parseaddr(setup.from_address)[1]))


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        setup = mail_setup_current()
        for message in email_messages:
            message.from_email = _sender(message.from_email, setup)
        return _backend_for(setup, self.fail_silently).send_messages(email_messages) or 0
