"""Setup text of an inbound e-mail integration: the address to send alert mail to."""

from __future__ import annotations

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Example, Setup


def _email_examples(address: str) -> list[Example]:
    return [
        Example(
            "Send alerts by e-mail to",
            address,
            "Point the device's or tool's alert e-mails here. A subject containing RESOLVED, OK, UP or "
            "RECOVERY resolves the alert with the same subject.",
        )
    ]


def setup_text(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    address = f"{key}@{email_domain}"
    return Setup(address, "E-mail address", _email_examples(address))
