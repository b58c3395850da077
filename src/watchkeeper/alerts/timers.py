"""The timer kinds alerts owns; the engine's registry maps each to its handler."""

# Key: incident id. Set by `incident_changed()` (incidents lists the kind by name, since it may
# not import alerts); the handler resolves the open alerts of a resolved or closed incident.
INCIDENT_CHANGED = "alerts.incident"
