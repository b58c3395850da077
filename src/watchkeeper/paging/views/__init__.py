"""Console pages of paging: `pages` (one's contact methods and rules, the notification log,
escalate/reassign on the incident page, the one-click response page) and `policies` (the
escalation policy list and editor)."""
