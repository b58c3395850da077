"""Slash commands from Slack and Mattermost: verify the request, find the person, act.

`/wk ack ACME-42`, `/wk resolve ACME-42 [note]`, `/wk note ACME-42 <text>`, `/wk status ACME-42`.

- Slack signs each request: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>"
  under the app's signing secret>` with `X-Slack-Request-Timestamp`. A bad signature is refused,
  so is a timestamp more than five minutes from now (a replay of an old request), and so is the
  same signature seen twice (a replay within the five minutes).
- Mattermost sends the command's token in the form (`token`); it has no timestamp to check.
- The chat account must be linked to an active MSP user (`ChatUserLink`); the command then runs
  as that user, with that user's rights: an incident the user may not see is "no incident" (404),
  the same answer as one that does not exist.

Answers carry the right status code (401 unverified, 403 unknown person or no right to act, 404
no such incident, 400 a command that is not understood) and Slack's/Mattermost's response body
(`{"response_type": "ephemeral", "text": …}`); an action done is posted `in_channel`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from watchkeeper.accounts.models import User
from watchkeeper.chat.models import ChatProvider, ChatUserLink, SlashEndpoint, SlashRequest
from watchkeeper.core import clock
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.humanize import duration_text
from watchkeeper.incidents.models import Incident, IncidentStatus
from watchkeeper.incidents.services import incident_acknowledge, incident_note, incident_resolve
from watchkeeper.tenancy import access

MAX_AGE_SECONDS = 300
_REFERENCE = re.compile(r"^([a-z0-9][a-z0-9-]*)-(\d{1,9})$", re.IGNORECASE)
USAGE = (
    "Usage: `ack <incident>`, `resolve <incident> [note]`, `note <incident> <text>` or `status <incident>`, "
    "e.g. `ack ACME-42`."
)


@dataclass(frozen=True)
class SlashAnswer:
    status: int
    text: str
    in_channel: bool = False

    def body(self) -> dict[str, str]:
        return {"response_type": "in_channel" if self.in_channel else "ephemeral", "text": self.text}


def _refused(status: int, text: str) -> SlashAnswer:
    return SlashAnswer(status=status, text=text)


def slack_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of a request body."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _slack_verified(
    endpoint: SlashEndpoint, headers: Mapping[str, str], body: bytes, now: dt.datetime
) -> SlashAnswer | None:
    timestamp, signature = headers.get("X-Slack-Request-Timestamp", ""), headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature:
        return _refused(
            401, "Refused: the request is not signed (X-Slack-Signature and X-Slack-Request-Timestamp)."
        )
    if abs(now.timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
        return _refused(401, "Refused: the request's timestamp is more than 5 minutes from now (a replay?).")
    expected = slack_signature(secret=endpoint.secret, timestamp=timestamp, body=body)
    if not endpoint.secret or not hmac.compare_digest(expected, signature):
        return _refused(401, "Refused: the signature does not match this endpoint's signing secret.")
    return _first_time(signature, now)


def _first_time(signature: str, now: dt.datetime) -> SlashAnswer | None:
    """Remember the signature for the five minutes it could be replayed in; a second one is refused."""
    SlashRequest.objects.filter(seen_at__lt=now - dt.timedelta(seconds=2 * MAX_AGE_SECONDS)).delete()
    try:
        with transaction.atomic():
            SlashRequest.objects.create(digest=hashlib.sha256(signature.encode()).hexdigest(), seen_at=now)
    except IntegrityError:
        return _refused(401, "Refused: this request was already received (a replay).")
    return None


def _mattermost_verified(endpoint: SlashEndpoint, form: Mapping[str, str]) -> SlashAnswer | None:
    token = form.get("token", "")
    if not token or not endpoint.secret or not hmac.compare_digest(token.encode(), endpoint.secret.encode()):
        return _refused(401, "Refused: the token does not match this endpoint's command token.")
    return None


def _linked_user(endpoint: SlashEndpoint, form: Mapping[str, str]) -> User | None:
    external_id, team_id = form.get("user_id", "").strip(), form.get("team_id", "").strip()
    if not external_id:
        return None
    links = ChatUserLink.objects.select_related("user").filter(
        provider=endpoint.provider, external_id=external_id
    )
    link = links.filter(team_id=team_id).first() or links.filter(team_id="").first()
    if link is None or not access.is_active_staff(link.user):
        return None
    return link.user


def _incident(user: User, reference: str) -> Incident | None:
    match = _REFERENCE.match(reference)
    if match is None:
        return None
    slug, number = match.group(1).lower(), int(match.group(2))
    visible = access.scope(Incident.objects.select_related("client", "owner"), user)
    return visible.filter(client__slug=slug, number=number).first()


def slash_handle(
    *,
    key: str,
    headers: Mapping[str, str],
    body: bytes,
    form: Mapping[str, str],
    now: dt.datetime | None = None,
) -> SlashAnswer:
    """Verify and run one slash-command request posted to /chat/commands/<key>."""
    now = now or clock.now()
    endpoint = SlashEndpoint.objects.filter(key=key, is_enabled=True).first() if len(key) <= 32 else None
    if endpoint is None:
        return _refused(404, "Refused: there is no slash-command endpoint at this address.")
    if endpoint.provider == ChatProvider.SLACK:
        refusal = _slack_verified(endpoint, headers, body, now)
    else:
        refusal = _mattermost_verified(endpoint, form)
    if refusal is not None:
        return refusal
    user = _linked_user(endpoint, form)
    if user is None:
        who = form.get("user_name") or form.get("user_id") or "your account"
        return _refused(
            403,
            f"Refused: {endpoint.get_provider_display()} user {who} is not linked to a Watchkeeper user. "
            "A manager links chat accounts on the Chat page.",
        )
    return _run(user, (form.get("text") or "").strip(), endpoint.get_provider_display())


def _run(user: User, text: str, provider: str) -> SlashAnswer:
    words = text.split(maxsplit=2)
    if len(words) < 2 or words[0].lower() not in {"ack", "resolve", "note", "status"}:
        return _refused(400, USAGE)
    command, reference, rest = words[0].lower(), words[1], words[2] if len(words) > 2 else ""
    incident = _incident(user, reference)
    if incident is None:
        return _refused(404, f"No incident {reference[:40]} that you can see.")
    if command == "status":
        return SlashAnswer(status=200, text=status_text(incident))
    if not access.can(user, "incidents.respond", client=incident.client):
        return _refused(403, f"Refused: you may not act on {incident.reference}.")
    try:
        return _act(user, incident, command, rest, provider)
    except WatchkeeperError as exc:
        return _refused(exc.status, exc.message)


def _act(user: User, incident: Incident, command: str, rest: str, provider: str) -> SlashAnswer:
    who = user.full_name or user.email
    if command == "note":
        if not rest.strip():
            return _refused(400, "A note needs some text: `note ACME-42 <text>`.")
        incident_note(incident=incident, by=user, text=rest)
        return SlashAnswer(status=200, text=f"{incident.reference}: note added by {who}.", in_channel=True)
    if command == "ack":
        if incident.status != IncidentStatus.TRIGGERED:
            return SlashAnswer(status=200, text=f"{incident.reference} is already {incident.status_text}.")
        incident_acknowledge(incident=incident, by=user)
        return SlashAnswer(status=200, text=f"{incident.reference} acknowledged by {who} (from {provider}).",
                           in_channel=True)  # fmt: skip
    if not incident.is_open:
        return SlashAnswer(status=200, text=f"{incident.reference} is already {incident.status_text}.")
    incident_resolve(incident=incident, by=user, note=rest.strip() or f"from {provider}")
    return SlashAnswer(status=200, text=f"{incident.reference} resolved by {who}.", in_channel=True)


def status_text(incident: Incident) -> str:
    owner = (incident.owner.full_name or incident.owner.email) if incident.owner else "no owner"
    age = duration_text(clock.now() - incident.opened_at)
    last = incident.timeline.order_by("-at", "-id").first()
    latest = f" Last: {last.text_in(dt.UTC)[:200]}" if last else ""
    return (
        f"{incident.reference} {incident.priority} · {incident.status_text} · {incident.client.name} · "
        f"{incident.title[:200]} · {owner} · open {age}.{latest}"
    )
