"""Realistic demo data for a fictional MSP (idempotent)."""
