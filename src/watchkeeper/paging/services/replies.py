"""Replies to page e-mails ("ack" / "resolve"), received by the smtp role.

The reply address `page-<token>@<inbound domain>` carries a 256-bit secret bound to one
incident and one person; the sender must also be that person's account address.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import parseaddr

from watchkeeper.paging.services.responses import reply_handle


def page_reply_receive(*, local_part: str, message: bytes) -> None:
    parsed = message_from_bytes(message, policy=policy.default)
    sender = parseaddr(str(parsed.get("From", "")))[1]
    part = parsed.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else ""
    reply_handle(local_part=local_part, sender=sender, body=str(body))
