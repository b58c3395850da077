"""The timer kinds the chat app owns; the engine's registry maps each to its handler."""

# Key: incident id. Set by `incident_changed()` and `incident_reported()` (incidents lists the kind
# by name, since it may not import chat); the handler posts the incident's new timeline events.
INCIDENT_CHANGED = "chat.incident"
# Key: "leadership". Due an hour after a P1/P2 is first seen open, then hourly while any is open.
DIGEST = "chat.digest"
