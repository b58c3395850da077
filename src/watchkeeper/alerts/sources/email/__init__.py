"""Inbound e-mail: mail to `<integration key>@<INBOUND_EMAIL_DOMAIN>`, received by the smtp role
(`smtp.py`), not over HTTP."""

from __future__ import annotations

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.sources.base import InboxRow, Source
from watchkeeper.alerts.sources.email import parse, setup


def _message(row: InboxRow) -> list[AlertEvent]:
    # The integration's rules as they are now: fixing a rule also fixes mail still in the inbox.
    return [parse.parse_email(row.payload, config=row.integration.config)]


SOURCE = Source(
    kind="email",
    label="Inbound e-mail",
    parsers={"email": _message},
    # Rules are checked when saved: a broken regex would otherwise fail every message.
    config_check=parse.email_config_validate,
    setup_text=setup.setup_text,
)
