"""Outgoing mail: which SMTP server sends (environment, console or files) and sending through it."""
