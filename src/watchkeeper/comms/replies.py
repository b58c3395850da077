"""Replies from clients, received by the smtp role at `update-<incident>-<signature>@<domain>`.

The signature is an HMAC of the incident id under the installation's secret key, so the
address cannot be made up for another incident. A reply is attached to the incident as a
client comment only when, in addition, its sender is a contact or portal user of the
incident's client; a reply that names a thread (In-Reply-To/References) must name this
incident's. A valid address from a stranger is held for review (`HeldReply`), never attached;
a forged or tampered address is refused. Quoted history and signatures are trimmed.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac

from watchkeeper.comms.models import HeldReply, IncidentComms, UpdateDelivery
from watchkeeper.comms.selectors import is_client_sender
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from watchkeeper.incidents.services import incident_update
from watchkeeper.policy.selectors import resume_on_client_reply

PREFIX = "update-"
_SALT = "watchkeeper.comms.reply"
_LOCAL = re.compile(r"^update-(\d{1,12})-([0-9a-f]{32})$")
MAX_COMMENT = 5_000


def _signature(incident_id: int) -> str:
    return salted_hmac(_SALT, str(incident_id), algorithm="sha256").hexdigest()[:32]


def reply_address(incident: Incident) -> str:
    return f"{PREFIX}{incident.pk}-{_signature(incident.pk)}@{settings.INBOUND_EMAIL_DOMAIN}"


def incident_for_address(local_part: str) -> Incident:
    """The incident a reply address names; NotFound for anything forged or tampered with."""
    match = _LOCAL.match(local_part.lower())
    if match is None or not constant_time_compare(match.group(2), _signature(int(match.group(1)))):
        raise NotFound("Unknown reply address.")
    incident = Incident.objects.select_related("client").filter(pk=int(match.group(1))).first()
    if incident is None:
        raise NotFound("Unknown reply address.")
    return incident


_QUOTE_HEADER = re.compile(
    r"^(On .{1,300} wrote:|Am .{1,300} schrieb .{1,200}:|Le .{1,300} a écrit :|"
    r"-{2,} ?Original Message ?-{2,}|_{10,}|From: .+|Von: .+|De: .+|Sent from my .+)\s*$",
    re.IGNORECASE,
)


def reply_trim(text: str) -> str:
    """The new part of a reply: up to the quoted history ("On … wrote:", "> …") or the
    signature ("-- "), without trailing blank lines."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.rstrip() in ("--", "-- ") or _QUOTE_HEADER.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _threads(parsed: EmailMessage) -> set[str]:
    ids = " ".join(str(parsed.get(name, "")) for name in ("In-Reply-To", "References"))
    return set(re.findall(r"<[^<>\s]{1,250}>", ids))


def _thread_matches(incident: Incident, ids: set[str]) -> bool:
    """No thread named (some clients drop the headers): the signed address decides. A thread
    named must be this incident's: its thread id or one of the messages sent about it."""
    if not ids:
        return True
    if IncidentComms.objects.filter(incident=incident, thread_id__in=ids).exists():
        return True
    return UpdateDelivery.objects.filter(update__incident=incident, message_id__in=ids).exists()


def _body(parsed: EmailMessage) -> str:
    part = parsed.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        return ""


def reply_accept(*, local_part: str, message: bytes) -> TimelineEntry | HeldReply:
    """Attach a client's reply to its incident as a client comment, or hold it for review.
    Raises NotFound (the smtp role answers 550) for an address that is not ours."""
    incident = incident_for_address(local_part)
    parsed = message_from_bytes(message, policy=policy.default)
    if not isinstance(parsed, EmailMessage):  # policy.default always makes one; for the types
        raise InvalidInput("Not an e-mail message.")
    sender = parseaddr(str(parsed.get("From", "")))[1]
    subject = " ".join(str(parsed.get("Subject", "")).split())[:300]
    text = reply_trim(_body(parsed))[:MAX_COMMENT]
    known = is_client_sender(client=incident.client, address=sender)
    reason = ""
    if known is None:
        reason = "The sender is not a contact or portal user of this client."
    elif not _thread_matches(incident, _threads(parsed)):
        reason = "The reply names another conversation than this incident's."
    elif not text:
        reason = "The reply has no text of its own."
    if reason or known is None:
        return HeldReply.objects.create(incident=incident, sender=sender[:254], subject=subject, text=text,
                                        reason=reason)  # fmt: skip
    name, user = known
    return _comment(incident=incident, by=user or f"{name} <{sender}>", text=text, sender=sender)


def reply_receive(*, local_part: str, message: bytes) -> None:
    """The smtp role's handler (`REPLY_HANDLERS`): `reply_accept`, its answer unused."""
    reply_accept(local_part=local_part, message=message)


def _comment(*, incident: Incident, by: object, text: str, sender: str) -> TimelineEntry:
    """As a portal comment (incidents.portal.incident_comment), by a contact who may have no
    account: the incident is marked as replied to, and a wait on the client ends per policy."""
    if len(text) > MAX_COMMENT:
        raise InvalidInput("A reply is at most 5,000 characters.")
    with incident_update(incident=incident, by=by) as change:  # type: ignore[arg-type]
        incident = change.incident
        incident.client_replied_at = clock.now()
        entry = change.record(
            fields=("client_replied_at",), kind=TimelineKind.COMMENT, text=text, client_visible=True,
            data={"comms": "reply", "via": "email", "from": sender},
        )  # fmt: skip
        if incident.status == IncidentStatus.WAITING_CLIENT and resume_on_client_reply():
            incident.status = IncidentStatus.ACKNOWLEDGED
            change.record(
                fields=("status",), kind=TimelineKind.STATUS, text="Resumed: the client replied",
                data={"status": "acknowledged", "client_reply": True},
            )  # fmt: skip
        return entry


def held_replies(*, incident: Incident) -> list[HeldReply]:
    return list(HeldReply.objects.filter(Q(incident=incident)).order_by("-received_at")[:20])
