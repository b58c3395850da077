"""Shared kernel: clock, base models, errors and types; imports no domain app."""
