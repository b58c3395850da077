"""The timer kinds paging owns; the engine's registry maps each to its handler."""

# Key: incident id. Set by `incident_changed()` (incidents lists the kind by name, since it may
# not import paging); the handler reconciles the incident's escalation with its status.
INCIDENT_CHANGED = "paging.incident"
# Key: `<incident>:<run>:<loop>:<level>`. One escalation level's step, fenced on that position.
ESCALATION_STEP = "paging.step"
