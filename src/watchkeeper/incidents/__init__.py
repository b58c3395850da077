"""Incidents: the unit of work and accountability, with priority, owner and an append-only timeline."""
