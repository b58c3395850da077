"""What a client is told about an incident's status: one mapping from status to the client's
words and tone, used by every page and message a client sees (the portal's list and incident
page), so the portal never says "being worked on" while nobody has picked the incident up, or
while the MSP waits on the client."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineEntry


@dataclass(frozen=True)
class ClientStatus:
    tone: str  # the badge's colour class: client-<tone>
    words: str  # the badge
    line: str  # one sentence for the incident's page: where it stands, and what the client can do


_WORDS: dict[str, tuple[str, str, str]] = {
    IncidentStatus.TRIGGERED: (
        "received", "Received", "We have received it; a technician picks it up shortly.",
    ),
    IncidentStatus.ACKNOWLEDGED: ("working", "Being worked on", "A technician is working on it."),
    IncidentStatus.WAITING_CLIENT: (
        "waiting-you", "Waiting for you", "We need something from you before we can go on.",
    ),
    IncidentStatus.WAITING_VENDOR: (
        "supplier", "Waiting on a supplier",
        "We are waiting on a supplier and will update you when they answer.",
    ),
    IncidentStatus.RESOLVED: ("resolved", "Resolved", "This is resolved."),
    IncidentStatus.CLOSED: ("resolved", "Resolved", "This is resolved."),
}  # fmt: skip


def _shared_note(entries: Iterable[TimelineEntry], status: str) -> str:
    """The note of the latest client-visible status entry into `status`, if it has one."""
    note = ""
    for entry in entries:
        if entry.client_visible and entry.kind == "status" and entry.data.get("status") == status:
            note = str(entry.data.get("note") or "")
    return note


def client_status(*, incident: Incident, entries: Iterable[TimelineEntry] = ()) -> ClientStatus:
    """The client's words for the incident's status. `entries`: its client-visible timeline,
    oldest first (the portal's incident page has it): what the MSP asked for while waiting on
    the client, and the resolution note when the technician shared it, complete the line."""
    tone, words, line = _WORDS.get(incident.status, _WORDS[IncidentStatus.ACKNOWLEDGED])
    entries = list(entries)
    if incident.status == IncidentStatus.WAITING_CLIENT:
        note = _shared_note(entries, IncidentStatus.WAITING_CLIENT)
        line = f"We need something from you before we can go on: {note}" if note else line
    elif not incident.is_open:
        note = _shared_note(entries, IncidentStatus.RESOLVED)
        line = f"This is resolved: {note}" if note else line
    return ClientStatus(tone=tone, words=words, line=line)
