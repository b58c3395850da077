"""Clients (tenants) and what belongs to them, and the one module that decides access."""
