"""Paging: escalation policies, contact methods, notification rules and the page outbox."""
