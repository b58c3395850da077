"""Writes for alert intake, split by sub-domain (integrations, intake, processing)."""
