"""The append-only audit log of configuration changes and incident actions."""
