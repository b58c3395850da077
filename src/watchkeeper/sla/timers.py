"""The timer kinds the SLA app owns; the engine's registry maps each to its handler."""

# Key: incident id. Set by `incident_changed()` (incidents lists the kind by name, since it may
# not import sla), also after SLA configuration changes; the handler recomputes the clocks.
INCIDENT_CHANGED = "sla.incident"
# Key: `<incident>:<clock kind>`. A warning or breach falls due; the handler recomputes the same way.
CLOCK_CHECK = "sla.check"
