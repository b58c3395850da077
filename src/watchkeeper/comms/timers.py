"""The timer kinds comms sets (the engine registry maps each to its handler)."""

INCIDENT_CHANGED = "comms.incident"  # an incident changed: send the notices its policy asks for
REMIND = "comms.remind"  # the next client update is due soon: remind the owner
OVERDUE = "comms.overdue"  # the next client update is due now: tell the managers
