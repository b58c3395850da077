"""One SMTP transaction with the server of the moment, and its failures in plain words.

Paging needs the server's own answer (its queue id, or why it refused a recipient) to record on
the message, which Django's mail backend does not return; so this speaks SMTP itself.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

NONE, STARTTLS, TLS = "none", "starttls", "tls"  # SmtpSecurity's values


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # none, starttls or tls
    username: str = ""
    password: str = ""
    timeout: float = 20.0

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)


def smtp_open(server: SmtpServer) -> smtplib.SMTP:
    """A connection ready for transactions (TLS or STARTTLS, login, EHLO); closed again when
    setting it up fails. Raises smtplib's errors and OSError for the caller to judge."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.security == TLS:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.security == STARTTLS:
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password)
        smtp.ehlo_or_helo_if_needed()
    except BaseException:
        smtp.close()
        raise
    return smtp


def smtp_exchange(smtp: smtplib.SMTP, *, sender: str, to: str, message: EmailMessage) -> str:
    """MAIL, RCPT, DATA on an open connection; the server's answer to DATA. A refusal resets the
    transaction (RSET) so the connection can serve the next message."""
    try:
        code, answer = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        code, answer = smtp.rcpt(to)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
        code, answer = smtp.data(message.as_bytes())
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
        smtp.rset()
        raise
    return f"{code} {_text(answer)}"


def smtp_deliver(server: SmtpServer, *, sender: str, to: str, message: EmailMessage) -> str:
    """Send `message` to `to` on a connection of its own; returns the server's answer to DATA.
    Raises smtplib's errors (and OSError for the network) for the caller to judge."""
    with smtp_open(server) as smtp:
        return smtp_exchange(smtp, sender=sender, to=to, message=message)


def _tls_problem(exc: ssl.SSLError, server: SmtpServer) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The TLS certificate of {server.host} is not trusted: {exc.verify_message or exc}."
    return (
        f"TLS with {server} failed ({exc.reason or exc}). Port 465 usually means TLS from the "
        "start, 587 STARTTLS: check the security setting."
    )


def _network_problem(exc: OSError, server: SmtpServer) -> str:
    if isinstance(exc, ssl.SSLError):
        return _tls_problem(exc, server)
    if isinstance(exc, socket.gaierror):
        return f"The host name {server.host} cannot be resolved: check its spelling."
    if isinstance(exc, ConnectionRefusedError):
        return f"Nothing accepts connections at {server} (connection refused): check the host and port."
    if isinstance(exc, TimeoutError):
        return f"No answer from {server} within {server.timeout:g} seconds: a firewall, or the wrong port."
    return f"Cannot reach {server}: {exc.strerror or exc}."


def smtp_problem(exc: Exception, server: SmtpServer, *, sender: str = "", to: str = "") -> str:
    """What went wrong, for a person: the server's own words, and what to check."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The server refused the user name or password ({exc.smtp_code} {_text(exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"The server refused the From address {sender} ({exc.smtp_code} {_text(exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(exc.recipients.values()))
        return f"The server refused the recipient {to} ({code} {_text(answer)})."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The server answered {exc.smtp_code} {_text(exc.smtp_error)}."
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "STARTTLS" in str(exc).upper():
            return f"{server} does not offer STARTTLS: choose another security setting or port."
        return (
            f"{server} does not offer login (AUTH) here: it may need STARTTLS or TLS first, "
            "or no user name at all."
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return (
            f"{server} closed the connection ({exc}). TLS from the start on a STARTTLS port (587, "
            "25), or the reverse, ends this way: check the security setting."
        )
    if isinstance(exc, OSError):  # smtplib's other errors are OSErrors too: checked above
        return _network_problem(exc, server)
    return f"{type(exc).__name__}: {exc}"
